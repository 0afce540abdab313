import { randomUUID } from 'node:crypto';
import type * as arrow from 'apache-arrow';
import { FloeError } from '../../core/errors.js';
import type { FeatureContext } from '../../features/context.js';
import { signalOf, withScratchDirectory } from '../../features/context.js';
import { loadArrowTable } from '../../features/historical/arrow-load.js';
import { commitOutputFiles, createOutputTable, writeOutputFiles } from '../../features/historical/output-table.js';
import { quoteIdentifier as q } from '../../engine/sql.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { findCommitted } from '../../iceberg/commit/commit.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import { appendedFiles } from '../../iceberg/write/added-manifest.js';
import type { Caller } from '../auth/authenticator.js';
import type { FeastCommand } from './feast-command.js';
import { requireRead } from './flight-auth.js';
import { defined } from '../../contracts/defined.js';

/** The namespace of the feature log tables, one per feature service: `feature_logs.<service>`. */
export const FEATURE_LOG_NAMESPACE = 'feature_logs';

const ORDINAL = '__floe_log_row';

/**
 * Feast's `write_logged_features` (feature logging of a feature service, `logging_config` on it):
 * the logged rows Feast sends (its log schema: join keys, each feature's value, `__timestamp` and
 * `__status`, `__log_timestamp`, `__log_date`, `__request_id`) appended to the Iceberg table
 * `feature_logs.<feature service>`, created from the first batch's columns. Exactly once per
 * Feast call: the commit is keyed on its `command_id`, which a retried do_put sends again.
 */
export async function feastWriteLoggedFeatures(
  context: FeatureContext,
  command: FeastCommand,
  logs: arrow.Table,
  caller: Caller | undefined,
): Promise<{ table: string; rows: number }> {
  const name = command.parameters.feature_service_name;
  if (typeof name !== 'string' || name === '')
    throw new FloeError('invalid-input', "Feast's write_logged_features command needs feature_service_name", {
      context: { field: 'feature_service_name' },
    });
  const service = context.registry.featureService(name);
  requireRead(
    caller,
    service.features.map((projection) => projection.featureView),
  );
  const id = parseTableIdentifier(`${FEATURE_LOG_NAMESPACE}.${service.name}`);
  const table = formatTableIdentifier(id);
  const commandId = command.parameters.command_id;
  const idempotencyKey = typeof commandId === 'string' && commandId !== '' ? `feast-logged-features/${commandId}` : undefined;
  if (logs.numRows === 0) return { table, rows: 0 };
  return context.engine.withConnection(async (connection) => {
    const staged = `feast_logs_${randomUUID().replace(/-/g, '')}`;
    await loadArrowTable(connection, logs, staged, ORDINAL);
    const query = `SELECT * EXCLUDE (${q(ORDINAL)}) FROM temp.${q(staged)} ORDER BY ${q(ORDINAL)}`;
    const loaded = (await context.catalog.tableExists(id))
      ? await context.catalog.loadTable(id)
      : await createOutputTable(context.catalog, id, connection, query, {
          what: `the feature logs of ${service.name}`,
          formatVersion: context.registry.tableFormatVersion,
        });
    if (idempotencyKey !== undefined && findCommitted(loaded.metadata, MAIN_BRANCH, idempotencyKey) !== undefined)
      return { table, rows: logs.numRows };
    const prefix = `feature-logs-${randomUUID()}`;
    await withScratchDirectory(context, prefix, async (localDirectory) => {
      const { dataFiles, manifest } = await writeOutputFiles(connection, loaded, {
        query,
        fileNamePrefix: prefix,
        manifestName: prefix,
        localDirectory,
        ...signalOf(context),
      });
      await commitOutputFiles(context.catalog, id, manifest === null ? [] : [manifest], {
        ...defined({ idempotencyKey }),
        summary: { 'floe.feature-logs.service': service.name },
        ownedFiles: appendedFiles(manifest, dataFiles),
      });
    });
    return { table, rows: logs.numRows };
  });
}
