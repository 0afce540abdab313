// services: temporal, python, postgres
// How long a restarted Postgres or Temporal server stalls a backfill, on private servers this suite
// alone uses (started with the services scripts' own start functions, never the shared stack):
//  - the SQL catalog on a private Postgres cluster (source and online table alike), its server
//    SIGKILLed mid-backfill and started again on the same data directory and port: the catalog's
//    pool drops the dead connections and the steps' retries find the server again;
//  - a private Temporal dev server on its own database file (--db-filename), SIGKILLed mid-backfill
//    and started again on that file and the same ports: the worker (its own process) and the client
//    reconnect, and the backfill carries on from its persisted history.
// Bound for each: the next window lands within 30 s of the server answering again. After each,
// pyiceberg reads the online table: one commit per window, every brute-force row once.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startPostgres } from '../../../scripts/services/postgres.js';
import type { RunningService } from '../../../scripts/services/service.js';
import { startTemporal } from '../../../scripts/services/temporal.js';
import type { backfill } from '../../../workflows/backfill.js';
import type { BackfillProgress } from '../../../contracts/backfill.js';
import { driverStatsRows } from '../../support/driver-stats.js';
import { withPostgres } from '../../support/postgres.js';
import { kill, reportStall, restart, startWorkerProcess, whenChunksDone } from '../../support/pipelines/faults.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import {
  committedWindows,
  createDriverStatsCatalog,
  expectedRows,
  HALF_DAYS,
  onlineRows,
  onlineSnapshots,
  RANGE,
  startPipelineWorker,
  VIEW,
  writeSourceTable,
} from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const DOWN_MS = 3_000;
const POSTGRES_RESTART_BOUND_MS = 30_000;
const TEMPORAL_RESTART_BOUND_MS = 30_000;

const scratch = scratchFolder('fault-restarts');
const services: RunningService[] = [];
const children: ChildProcess[] = [];

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const service of services) for (const managed of service.processes) await managed.stop();
});

test('Postgres (the SQL catalog) restarted mid-backfill: every window exactly once, back within the bound', async (t) => {
  // The cluster goes in scratch/postgres: startPostgres lets its server user through scratch itself.
  const postgres = await startPostgres(scratch);
  services.push(postgres);
  const url = postgres.env['FLOE_TEST_POSTGRES_URL']!;
  const warehouse = pathToFileURL(path.join(scratch, 'postgres-warehouse')).href;
  const rows = driverStatsRows();
  const source: SourceTable = {
    directory: path.join(scratch, 'postgres-floe'),
    // SQLAlchemy 2.1 takes a bare postgresql:// as psycopg 3; pyiceberg's sql-postgres extra installs psycopg2.
    oracle: { type: 'sql', uri: url.replace(/^postgresql:/, 'postgresql+psycopg2:'), warehouse },
    floeCatalog: { type: 'sql', name: 'floe_oracle', uri: url, warehouse },
    table: 'rides.driver_stats',
    rows,
  };
  await writeSourceTable(source.oracle, source.table, rows);
  const worker = await startPipelineWorker(source);
  try {
    const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
      taskQueue: worker.taskQueue,
      workflowId: `backfill-stall-postgres-${randomUUID()}`,
      args: [{ featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 1 }],
    });
    await whenChunksDone(handle, 1);
    const done = (await handle.query<BackfillProgress>('progress')).chunksDone;
    await kill(postgres);
    await sleep(DOWN_MS);
    await restart(postgres, 'a Postgres connection', () => withPostgres(url, async (client) => void (await client.query('SELECT 1'))));
    const backAt = Date.now();
    // Every window loads and commits its table through the catalog, so the restart held the backfill:
    // at most the window whose commit finished as Postgres died reaches the progress after it.
    const held = (await handle.query<BackfillProgress>('progress')).chunksDone;
    assert.ok(held <= done + 1, `${held - done} windows landed while Postgres was down`);
    const nextAt = await whenChunksDone(handle, held + 1);
    const result = await handle.result();
    assert.equal(result.chunks, HALF_DAYS.length);
    assert.deepEqual(committedWindows(await onlineSnapshots(source, worker.onlineNamespace)), HALF_DAYS, 'one commit per window, in order');
    assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(rows, HALF_DAYS), 'every expected row exactly once');
    reportStall(t, 'Postgres killed and restarted', nextAt - backAt, POSTGRES_RESTART_BOUND_MS, 'it answered again');
  } finally {
    await worker.close();
  }
});

test('the Temporal dev server restarted on its database file mid-backfill: every window exactly once, back within the bound', async (t) => {
  const runDir = path.join(scratch, 'temporal');
  await mkdir(runDir, { recursive: true });
  const temporal = await startTemporal(runDir);
  services.push(temporal);
  const address = temporal.env['FLOE_TEST_TEMPORAL_ADDRESS']!;
  const source = await createDriverStatsCatalog(path.join(scratch, 'temporal-source'));
  const onlineNamespace = `online_stall_${randomUUID().slice(0, 8)}`;
  const taskQueue = `test-stall-temporal-${randomUUID()}`;
  await startWorkerProcess(
    {
      address,
      namespace: 'default',
      taskQueue,
      catalog: source.floeCatalog,
      sourceTable: source.table,
      onlineNamespace,
      directory: path.join(scratch, 'temporal-worker'),
    },
    children,
  );
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  try {
    const handle = await client.workflow.start<typeof backfill>('backfill', {
      taskQueue,
      workflowId: `backfill-stall-temporal-${randomUUID()}`,
      args: [{ featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 1 }],
    });
    await whenChunksDone(handle, 1);
    // Windows land only through the server, so none can land while it is down.
    const done = (await handle.query<BackfillProgress>('progress')).chunksDone;
    assert.ok(done < HALF_DAYS.length, 'every window had landed before Temporal was killed, so the restart would stall nothing');
    await kill(temporal);
    await sleep(DOWN_MS);
    await restart(temporal, `gRPC GetSystemInfo on ${address}`, () => temporalAnswers(address));
    const backAt = Date.now();
    const nextAt = await whenChunksDone(handle, done + 1);
    const result = await handle.result();
    assert.equal(result.chunks, HALF_DAYS.length);
    assert.deepEqual(committedWindows(await onlineSnapshots(source, onlineNamespace)), HALF_DAYS, 'one commit per window, in order');
    assert.deepEqual(await onlineRows(source, onlineNamespace), expectedRows(source.rows, HALF_DAYS), 'every expected row exactly once');
    reportStall(t, 'Temporal dev server killed and restarted', nextAt - backAt, TEMPORAL_RESTART_BOUND_MS, 'it answered again');
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await connection.close();
  }
});

/** Throws until the dev server at `address` answers GetSystemInfo. */
async function temporalAnswers(address: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.workflowService.getSystemInfo({});
  } finally {
    await connection.close();
  }
}
