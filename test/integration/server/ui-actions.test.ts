// services: temporal
// The web UI's tables page data and its actions (issue #57) over a real SQLite catalog: every table
// Floe reads or writes with its head snapshot's totals, cut to what the caller may read; a table's
// orphan litter from a dry run of orphan removal, which leaves the orphan in place; "compact now"
// and a view's backfill, which start `floe compact`'s and `floe backfill`'s workflows on the real
// Temporal for a token allowed to materialize the view (after the CLI's checks: a future end is
// refused) and answer 403 to a read-only token. The server's clock is pinned, so what counts as old
// litter or as the future does not depend on the date.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporalActions } from '../../../cli/server-actions.js';
import { projectConfigSchema } from '../../../features/config.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { localPath } from '../../../iceberg/io/local-file-io.js';
import { temporalService } from '../../support/services.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { serverError } from '../../support/server-error.js';
import type { UiServer } from '../../support/ui/ui-project.js';
import { CONSISTENCY_TABLE, DEAD_LETTER_TABLE, NOW, SOURCE_TABLE, startUiServer, UI_TOKENS } from '../../support/ui/ui-project.js';

const taskQueue = `ui-actions-${randomUUID()}`;
let ui: UiServer;
let actions: ReturnType<typeof temporalActions>;
let connection: Connection;

before(async () => {
  const { address, namespace } = temporalService();
  const config = projectConfigSchema.parse({
    project: 'rides',
    catalog: { type: 'sql', uri: 'unused.db' },
    temporal: { address, namespace, taskQueue },
  });
  ui = await startUiServer(scratchFolder('ui-actions'), {
    actions: (runtime) => (actions = temporalActions(config, runtime.project.registry, { clock: () => NOW })),
  });
  connection = await Connection.connect({ address });
});

after(async () => {
  await connection?.close();
  await ui?.close();
  await actions?.close();
});

interface TableRow {
  table: string;
  roles: unknown;
  exists: boolean;
  snapshots: number;
  records: number | null;
  dataFiles: number | null;
  bytes: number | null;
  deleteFiles: number | null;
  compactTarget: unknown;
}
interface Answer {
  tables: TableRow[];
  workflowId: string;
  runId: string;
  mayMaterialize: unknown;
}

async function call(method: 'GET' | 'POST', route: string, token: string, body?: unknown): Promise<{ status: number; json: Answer }> {
  const response = await fetch(`${ui.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

test('the tables route lists each table Floe reads or writes with its head snapshot totals, cut to what the caller may read', async () => {
  const { status, json } = await call('GET', '/ui/api/tables', UI_TOKENS.admin);
  assert.equal(status, 200);
  const byName = new Map(json.tables.map((table) => [table.table, table]));
  assert.deepEqual(
    [...byName.keys()],
    [
      CONSISTENCY_TABLE,
      'floe_online.driver_hourly',
      'floe_online.driver_live',
      'floe_online.driver_quick',
      'floe_online.driver_trip_totals',
      SOURCE_TABLE,
      DEAD_LETTER_TABLE,
    ],
  );
  const source = byName.get(SOURCE_TABLE)!;
  const metadata = (await ui.runtime.catalog.loadTable(parseTableIdentifier(SOURCE_TABLE))).metadata;
  const head = metadata.snapshots.find((snapshot) => snapshot.snapshotId === metadata.currentSnapshotId)!;
  assert.deepEqual(source.roles, [{ kind: 'source', definition: 'driver_source' }]);
  assert.equal(source.exists, true);
  assert.equal(source.snapshots, metadata.snapshots.length);
  assert.equal(source.snapshots, 4, 'the source rows, two stream batches and another writer');
  assert.equal(source.records, 5);
  assert.equal(source.dataFiles, Number(head.summary['total-data-files']));
  assert.equal(source.bytes, Number(head.summary['total-files-size']));
  assert.equal(source.deleteFiles, 0);
  assert.deepEqual(source.compactTarget, { table: SOURCE_TABLE });
  assert.deepEqual(byName.get('floe_online.driver_hourly')!.compactTarget, { featureView: 'driver_hourly' });
  assert.deepEqual(byName.get('floe_online.driver_trip_totals')!.roles, [{ kind: 'tiles', definition: 'driver_trip_totals' }]);
  assert.deepEqual(byName.get(DEAD_LETTER_TABLE)!.roles, [{ kind: 'dead-letters', definition: 'driver_stream' }]);
  assert.equal(byName.get(DEAD_LETTER_TABLE)!.records, 2);
  const never = byName.get('floe_online.driver_live')!;
  assert.deepEqual([never.exists, never.snapshots, never.dataFiles], [false, 0, null]);
  assert.equal(byName.get(CONSISTENCY_TABLE)!.exists, false);

  const live = await call('GET', '/ui/api/tables', UI_TOKENS.liveReader);
  assert.deepEqual(
    live.json.tables.map((table) => table.table),
    ['floe_online.driver_live', SOURCE_TABLE, DEAD_LETTER_TABLE],
    'driver_live, its push source and stream, and their batch source; not the consistency reports of every view',
  );
  assert.equal((await call('GET', '/ui/api/tables', UI_TOKENS.nothing)).status, 403);
});

test("a table's litter counts an old unreferenced file as an orphan and leaves it where it is", async () => {
  const metadata = (await ui.runtime.catalog.loadTable(parseTableIdentifier(SOURCE_TABLE))).metadata;
  const orphan = `${localPath(metadata.location)}/data/left-by-a-crashed-writer.parquet`;
  await writeFile(orphan, 'not referenced by any metadata');
  // Older than 3 days before the pinned clock (2024-05-02T00:30Z); every other file is younger than it.
  const old = new Date('2024-04-01T00:00:00Z');
  await utimes(orphan, old, old);
  const { status, json } = await call('GET', `/ui/api/tables/${SOURCE_TABLE}/litter`, UI_TOKENS.admin);
  assert.equal(status, 200);
  assert.deepEqual(json, {
    table: SOURCE_TABLE,
    deleteFiles: 0,
    deletionVectorFiles: 0,
    orphans: { files: 1, bytes: 30 },
    tooYoung: 0,
    olderThan: '2024-04-29T00:30:00Z',
  });
  assert.ok(existsSync(orphan), 'the page never deletes');
  const hidden = await call('GET', `/ui/api/tables/floe_online.driver_hourly/litter`, UI_TOKENS.liveReader);
  assert.equal(hidden.status, 404, 'a table the caller may not see is not named');
  assert.equal((await call('GET', `/ui/api/tables/floe_online.driver_live/litter`, UI_TOKENS.admin)).status, 404, 'not created yet');
});

test("compact now starts floe compact's workflow for a token allowed to materialize the view, and 403 for a read-only token", async () => {
  const refused = await call('POST', '/ui/api/compact', UI_TOKENS.admin, { featureView: 'driver_hourly' });
  assert.equal(refused.status, 403);
  assert.match(serverError(refused.json).message, /admin may not materialize feature view driver_hourly/);
  const sourceRefused = await call('POST', '/ui/api/compact', UI_TOKENS.operator, { table: SOURCE_TABLE });
  assert.equal(sourceRefused.status, 403, 'a source table takes materialize for every view');
  const unknown = await call('POST', '/ui/api/compact', UI_TOKENS.operator, { featureView: 'no_such_view' });
  assert.equal(unknown.status, 403);
  const who = await call('GET', '/ui/api/whoami', UI_TOKENS.operator);
  assert.deepEqual(who.json.mayMaterialize, ['driver_hourly']);
  assert.equal((await call('GET', '/ui/api/whoami', UI_TOKENS.admin)).json.mayMaterialize, false);

  const started = await call('POST', '/ui/api/compact', UI_TOKENS.operator, { featureView: 'driver_hourly' });
  assert.equal(started.status, 200, JSON.stringify(started.json));
  const handle = new Client({ connection, namespace: temporalService().namespace }).workflow.getHandle(started.json.workflowId);
  try {
    assert.equal(started.json.workflowId, 'compact-driver_hourly', "floe compact's workflow id for the view");
    const described = await handle.describe();
    assert.equal(described.type, 'compact');
    assert.equal(described.taskQueue, taskQueue);
    assert.equal(described.runId, started.json.runId);
    const again = await call('POST', '/ui/api/compact', UI_TOKENS.operator, { featureView: 'driver_hourly' });
    assert.deepEqual(again.json, { ...started.json, alreadyRunning: true }, 'a second click follows the running compaction');
  } finally {
    await handle.terminate('test over').catch(() => undefined);
  }
});

test("a view's backfill starts floe backfill's workflow after the CLI's checks, for a token allowed to materialize the view only", async () => {
  const range = { featureView: 'driver_hourly', start: '2024-04-30T00:00:00Z', end: '2024-05-01T00:00:00Z', chunk: '12h' };
  const refused = await call('POST', '/ui/api/backfill', UI_TOKENS.admin, range);
  assert.equal(refused.status, 403);
  assert.match(serverError(refused.json).message, /admin may not materialize feature view driver_hourly/);
  assert.equal((await call('POST', '/ui/api/backfill', UI_TOKENS.operator, { ...range, featureView: 'driver_quick' })).status, 403);

  // The pinned clock is 2024-05-02T00:30Z: an end after it is in the future.
  const future = await call('POST', '/ui/api/backfill', UI_TOKENS.operator, { ...range, end: '2024-05-02T01:00:00Z' });
  assert.equal(future.status, 400);
  assert.equal(
    serverError(future.json).message,
    'Feature view driver_hourly: end 2024-05-02T01:00:00Z is after 2024-05-02T00:30:00Z; a window may not end in the future',
  );
  const backwards = await call('POST', '/ui/api/backfill', UI_TOKENS.operator, { ...range, start: range.end, end: range.start });
  assert.equal(backwards.status, 400);
  assert.match(serverError(backwards.json).message, /^end 2024-04-30T00:00:00Z must be after start 2024-05-01T00:00:00Z$/);
  const notAnInstant = await call('POST', '/ui/api/backfill', UI_TOKENS.operator, { ...range, start: 'yesterday' });
  assert.equal(notAnInstant.status, 400);
  assert.match(serverError(notAnInstant.json).message, /^start "yesterday" is not an ISO-8601 instant/);
  assert.equal((await call('POST', '/ui/api/backfill', UI_TOKENS.operator, { featureView: 'driver_hourly' })).status, 400);

  const started = await call('POST', '/ui/api/backfill', UI_TOKENS.operator, range);
  assert.equal(started.status, 200, JSON.stringify(started.json));
  const handle = new Client({ connection, namespace: temporalService().namespace }).workflow.getHandle(started.json.workflowId);
  try {
    assert.equal(started.json.workflowId, 'backfill-driver_hourly-20240430T000000Z-20240501T000000Z-12h', "floe backfill's workflow id");
    const described = await handle.describe();
    assert.equal(described.type, 'backfill');
    assert.equal(described.taskQueue, taskQueue);
    const history = await handle.fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    assert.deepEqual(JSON.parse(Buffer.from(input!).toString()), {
      featureViews: ['driver_hourly'],
      start: '2024-04-30T00:00:00.000Z',
      end: '2024-05-01T00:00:00.000Z',
      chunk: '12h',
    });
  } finally {
    await handle.terminate('test over').catch(() => undefined);
  }
});
