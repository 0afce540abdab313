// services: temporal, minio, rest-catalog, python
// How long a storage or catalog fault stalls a backfill, on real services that belong to this suite
// alone: a private MinIO and a private Iceberg REST catalog fixture (JdbcCatalog on SQLite, its
// tables on that MinIO), started with the services scripts' own start functions, so pausing or
// killing them never touches the shared stack. The source and the online table both live there.
//  - MinIO paused (SIGSTOP, SIGCONT 10 s later) mid-backfill: requests in flight wait, then answer;
//  - MinIO SIGKILLed mid-backfill and restarted on the same data directory and port;
//  - the REST catalog paused (SIGSTOP, SIGCONT 10 s later) mid-backfill.
// Bound for each: the next window lands within 30 s of the service answering again. After each,
// pyiceberg reads the online table: one commit per window, every brute-force row once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { startMinio } from '../../../scripts/services/minio.js';
import { httpGetOk } from '../../../scripts/services/process.js';
import { REST_WAREHOUSE, startRestCatalog } from '../../../scripts/services/rest-catalog.js';
import type { RunningService } from '../../../scripts/services/service.js';
import type { backfill } from '../../../workflows/backfill.js';
import type { BackfillProgress } from '../../../contracts/backfill.js';
import { driverStatsRows } from '../../support/driver-stats.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { kill, pause, reportStall, restart, whenChunksDone } from '../../support/pipelines/faults.js';
import type { PipelineWorker, SourceTable } from '../../support/pipelines/pipeline.js';
import {
  committedWindows,
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

const PAUSE_MS = 10_000;
const MINIO_DOWN_MS = 3_000;
const MINIO_PAUSE_BOUND_MS = 30_000;
const MINIO_RESTART_BOUND_MS = 30_000;
const REST_PAUSE_BOUND_MS = 30_000;

const scratch = scratchFolder('fault-storage');
let minio: RunningService;
let rest: RunningService;
let minioEndpoint: string;
const services: RunningService[] = [];

before(async () => {
  minio = await startMinio(scratch);
  services.push(minio);
  minioEndpoint = minio.env['FLOE_TEST_S3_ENDPOINT']!;
  rest = await startRestCatalog(scratch, storage());
  services.push(rest);
});
after(async () => {
  // A test that failed between a pause and its resume must not leave a stopped group behind.
  for (const service of services)
    for (const managed of service.processes) {
      try {
        process.kill(-managed.pid, 'SIGCONT');
      } catch {
        // Already gone.
      }
      await managed.stop();
    }
});

test('MinIO paused mid-backfill: every window exactly once, back within the bound', async (t) => {
  await withBackfill(
    'minio-pause',
    async () => {
      const paused = pause(minio);
      await sleep(PAUSE_MS);
      paused.resume();
      return Date.now();
    },
    (stallMs) => reportStall(t, 'MinIO paused 10 s', stallMs, MINIO_PAUSE_BOUND_MS, 'SIGCONT'),
  );
});

test('MinIO SIGKILLed mid-backfill and restarted on its data directory: every window exactly once, back within the bound', async (t) => {
  await withBackfill(
    'minio-kill',
    async () => {
      await kill(minio);
      await sleep(MINIO_DOWN_MS);
      await restart(
        minio,
        `GET ${minioEndpoint}/minio/health/live`,
        async () => void (await httpGetOk(`${minioEndpoint}/minio/health/live`)),
      );
      return Date.now();
    },
    (stallMs) => reportStall(t, 'MinIO killed and restarted', stallMs, MINIO_RESTART_BOUND_MS, 'it answered again'),
  );
});

test('the REST catalog paused mid-backfill: every window exactly once, back within the bound', async (t) => {
  await withBackfill(
    'rest-pause',
    async () => {
      const paused = pause(rest);
      await sleep(PAUSE_MS);
      paused.resume();
      return Date.now();
    },
    (stallMs) => reportStall(t, 'REST catalog paused 10 s', stallMs, REST_PAUSE_BOUND_MS, 'SIGCONT'),
  );
});

function storage(): Parameters<typeof startRestCatalog>[1] {
  return {
    endpoint: minioEndpoint,
    region: minio.env['FLOE_TEST_S3_REGION']!,
    accessKeyId: minio.env['FLOE_TEST_S3_ACCESS_KEY_ID']!,
    secretAccessKey: minio.env['FLOE_TEST_S3_SECRET_ACCESS_KEY']!,
  };
}

/**
 * A source table on the private REST catalog, a worker over it and a 12-hour backfill of it; once
 * the first window has landed, `fault` runs and says when the service answered again. The stall is
 * from then to the next window landing; then the whole backfill is checked against pyiceberg.
 */
async function withBackfill(label: string, fault: () => Promise<number>, check: (stallMs: number) => void): Promise<void> {
  const restUri = rest.env['FLOE_TEST_REST_URI']!;
  const oracle: OracleCatalog = { type: 'rest', uri: restUri, warehouse: REST_WAREHOUSE, s3: storage() };
  const table = `src_${label.replace(/-/g, '_')}_${randomUUID().slice(0, 8)}.driver_stats`;
  const rows = driverStatsRows();
  await writeSourceTable(oracle, table, rows);
  const source = {
    directory: path.join(scratch, label),
    oracle,
    floeCatalog: { type: 'rest', name: 'rest', uri: restUri, warehouse: REST_WAREHOUSE, s3: { ...storage(), pathStyle: true } },
    table,
    rows,
  } as unknown as SourceTable;
  const worker: PipelineWorker = await startPipelineWorker(source);
  try {
    const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
      taskQueue: worker.taskQueue,
      workflowId: `backfill-stall-${label}-${randomUUID()}`,
      args: [{ featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 1 }],
    });
    await whenChunksDone(handle, 1);
    const done = (await handle.query<BackfillProgress>('progress')).chunksDone;
    const backAt = await fault();
    // Every window reads and writes through the service, so the fault held the backfill: at most the
    // window whose commit finished as the fault began reaches the progress after it (an unhindered
    // backfill lands several in the time). The stall runs from the service answering to the next window.
    const held = (await handle.query<BackfillProgress>('progress')).chunksDone;
    assert.ok(held <= done + 1, `${label}: ${held - done} windows landed while the service was down`);
    const nextAt = await whenChunksDone(handle, held + 1);
    const result = await handle.result();
    assert.equal(result.chunks, HALF_DAYS.length);
    assert.deepEqual(committedWindows(await onlineSnapshots(source, worker.onlineNamespace)), HALF_DAYS, 'one commit per window, in order');
    assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(rows, HALF_DAYS), 'every expected row exactly once');
    check(nextAt - backAt);
  } finally {
    await worker.close();
  }
}
