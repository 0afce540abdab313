import type * as arrow from 'apache-arrow';
import { FloeError } from '../../core/errors.js';
import type { FeatureContext } from '../../features/context.js';
import type { PushAnswer, Pusher } from '../../features/push/pusher.js';
import type { Caller } from '../auth/authenticator.js';
import type { FeastCommand } from './feast-command.js';
import { stringList } from './feast-command.js';
import { arrowPushColumns } from './arrow-push-columns.js';
import { requirePush } from './flight-auth.js';
import { defined } from '../../contracts/defined.js';

/**
 * Feast's `offline_write_batch` (`store.push(…, to=PushMode.OFFLINE)` or `ONLINE_AND_OFFLINE`, and
 * `store.write_to_offline_store`): the rows of one feature view appended to its source's Iceberg
 * table through Floe's push (to: offline), so they are checked as any push's rows and committed
 * with the group commit and exactly-once of features/push/.
 *
 * The idempotency key is the command's `command_id`: Feast's client makes one uuid4 per call and
 * sends the same descriptor whenever it retries that call's do_put (transient UNAVAILABLE errors,
 * `connection_retries`), so the retry is answered with the first append and writes nothing. A new
 * call of `store.push` is a new command_id and appends again, as Feast's own offline stores do.
 */
export async function feastOfflineWrite(
  context: FeatureContext,
  pusher: Pusher,
  command: FeastCommand,
  rows: arrow.Table,
  caller: Caller | undefined,
): Promise<PushAnswer> {
  const [viewName, ...others] = stringList(command, 'feature_view_names');
  if (viewName === undefined || others.length > 0)
    throw new FloeError('invalid-input', "Feast's offline_write_batch command needs feature_view_names with exactly one feature view", {
      context: { field: 'feature_view_names' },
    });
  const pushSource = pushSourceFor(context, viewName);
  requirePush(caller, pushSource);
  const commandId = command.parameters.command_id;
  const requestId = typeof commandId === 'string' && commandId.length > 0 ? `feast-offline-write:${commandId}` : undefined;
  const what = `Feast's offline_write_batch to feature view ${viewName}`;
  return pusher.push({
    pushSourceName: pushSource,
    df: arrowPushColumns(rows, what),
    to: 'offline',
    ...defined({ requestId }),
  });
}

/**
 * The push source whose batch table is the view's source table: the view's own source when that is
 * a push source, else one defined over the view's Iceberg source. A view with neither has no push
 * path in Floe, and is refused saying what to define.
 */
function pushSourceFor(context: FeatureContext, viewName: string): string {
  const { registry } = context;
  const view = registry.featureView(viewName);
  if (registry.pushSources.has(view.source)) return view.source;
  const source = registry.sourceOf(view).name;
  const over = [...registry.pushSources.values()].filter((push) => push.batchSource === source).map((push) => push.name);
  if (over.length > 0) return over.sort()[0]!;
  throw new FloeError(
    'invalid-input',
    `Feast's offline_write_batch to feature view ${viewName}: its source ${source} has no push source, and Floe appends to a source table only through one; define a push source with batchSource '${source}' (floe import feast makes one from Feast's PushSource)`,
    { context: { field: 'feature_view_names' } },
  );
}
