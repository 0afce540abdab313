// services: temporal, minio, rest-catalog, python
// How long a fault stalls a backfill, on real services. Two faults, each printed with its stall:
//  - the worker process SIGKILLed while its commit step is about to ask the catalog, a new worker
//    started at once: the commit heartbeats, so the dead step is retried elsewhere within seconds
//    (bound 45 s from the kill to the window landing);
//  - a private Iceberg REST catalog fixture (JdbcCatalog on SQLite, its own process, never the
//    shared one) SIGKILLed mid-backfill and restarted on the same SQLite file: bounded waits and
//    capped retries bring the backfill back within 30 s of the catalog answering again.
// After each, pyiceberg reads the online table: one commit per window, every brute-force row once.
// The other faults: fault-stalls-storage.test.ts (MinIO paused and killed, the REST catalog paused)
// and fault-stalls-restarts.test.ts (Postgres and the Temporal dev server restarted).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { REST_WAREHOUSE, startRestCatalog } from '../../../scripts/services/rest-catalog.js';
import type { RunningService } from '../../../scripts/services/service.js';
import type { backfill } from '../../../workflows/backfill.js';
import type { BackfillProgress } from '../../../contracts/backfill.js';
import { driverStatsRows } from '../../support/driver-stats.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { s3Service, temporalService } from '../../support/services.js';
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
import { startWorkerProcess, whenChunksDone } from '../../support/pipelines/faults.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const WORKER_KILL_BOUND_MS = 45_000;
const CATALOG_RESTART_BOUND_MS = 30_000;

const scratch = scratchFolder('fault-stalls');
const children: ChildProcess[] = [];
const services: RunningService[] = [];
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const service of services) for (const managed of service.processes) await managed.stop();
});

test('a worker SIGKILLed during a commit: the window lands exactly once, retried elsewhere within the bound', async (t) => {
  const source = await createDriverStatsCatalog(path.join(scratch, 'kill-source'));
  const { address, namespace } = temporalService();
  const onlineNamespace = `online_stall_${randomUUID().slice(0, 8)}`;
  const taskQueue = `test-stall-${randomUUID()}`;
  const base = { address, namespace, taskQueue, catalog: source.floeCatalog, sourceTable: source.table, onlineNamespace };
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  try {
    const marker = path.join(scratch, 'in-commit');
    const first = await startWorkerProcess(
      { ...base, directory: path.join(scratch, 'k1'), hold: { point: 'commit', call: 2, marker } },
      children,
    );
    const handle = await client.workflow.start<typeof backfill>('backfill', {
      taskQueue,
      workflowId: `backfill-stall-kill-${randomUUID()}`,
      args: [{ featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 1 }],
    });
    await waitForFile(marker);
    first.kill('SIGKILL');
    const killedAt = Date.now();
    await startWorkerProcess({ ...base, directory: path.join(scratch, 'k2') }, children);
    const landedAt = await whenChunksDone(handle, 2);
    const stallMs = landedAt - killedAt;
    t.diagnostic(
      `worker SIGKILLed during a commit: the window landed ${(stallMs / 1000).toFixed(1)} s after the kill (bound ${WORKER_KILL_BOUND_MS / 1000} s)`,
    );
    console.log(`[stall] worker SIGKILLed during a commit: ${(stallMs / 1000).toFixed(1)} s`);
    const result = await handle.result();
    assert.equal(result.chunks, HALF_DAYS.length);
    assert.deepEqual(committedWindows(await onlineSnapshots(source, onlineNamespace)), HALF_DAYS, 'one commit per window, in order');
    assert.deepEqual(await onlineRows(source, onlineNamespace), expectedRows(source.rows, HALF_DAYS), 'every expected row exactly once');
    assert.ok(stallMs < WORKER_KILL_BOUND_MS, `stall ${stallMs} ms`);
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await connection.close();
  }
});

test('a REST catalog SIGKILLed mid-backfill and restarted: every window exactly once, back within the bound', async (t) => {
  const s3 = s3Service();
  const storage = { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  const runDir = path.join(scratch, 'rest');
  await mkdir(runDir, { recursive: true });
  let fixture = await startPrivateRestCatalog(runDir, storage);
  const proxy = await stableAddress(fixture.port);
  try {
    const oracle: OracleCatalog = { type: 'rest', uri: proxy.uri, warehouse: REST_WAREHOUSE, s3: storage };
    const sourceNamespace = `stall_src_${randomUUID().slice(0, 8)}`;
    const table = `${sourceNamespace}.driver_stats`;
    const rows = driverStatsRows();
    await writeSourceTable(oracle, table, rows);
    const source = {
      directory: path.join(scratch, 'rest-source'),
      oracle,
      floeCatalog: { type: 'rest', name: 'rest', uri: proxy.uri, warehouse: REST_WAREHOUSE, s3: { ...storage, pathStyle: true } },
      table,
      rows,
    } as unknown as SourceTable;
    const worker = await startPipelineWorker(source);
    try {
      const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
        taskQueue: worker.taskQueue,
        workflowId: `backfill-stall-rest-${randomUUID()}`,
        args: [{ featureViews: [VIEW], ...RANGE, chunk: '12h', parallelism: 1 }],
      });
      await whenChunksDone(handle, 1);
      const done = (await handle.query<BackfillProgress>('progress')).chunksDone;
      process.kill(-fixture.service.processes[0]!.pid, 'SIGKILL');
      proxy.cut();
      await sleep(3_000);
      fixture = await startPrivateRestCatalog(runDir, storage);
      proxy.pointAt(fixture.port);
      const backAt = Date.now();
      const nextAt = await whenChunksDone(handle, done + 1);
      const stallMs = nextAt - backAt;
      t.diagnostic(
        `REST catalog killed and restarted: the next window landed ${(stallMs / 1000).toFixed(1)} s after the catalog was back (bound ${CATALOG_RESTART_BOUND_MS / 1000} s)`,
      );
      console.log(`[stall] REST catalog killed and restarted: ${(stallMs / 1000).toFixed(1)} s after it was back`);
      const result = await handle.result();
      assert.equal(result.chunks, HALF_DAYS.length);
      assert.deepEqual(
        committedWindows(await onlineSnapshots(source, worker.onlineNamespace)),
        HALF_DAYS,
        'one commit per window, in order',
      );
      assert.deepEqual(await onlineRows(source, worker.onlineNamespace), expectedRows(rows, HALF_DAYS), 'every expected row exactly once');
      assert.ok(stallMs < CATALOG_RESTART_BOUND_MS, `stall ${stallMs} ms`);
    } finally {
      await worker.close();
    }
  } finally {
    await proxy.close();
  }
});

/** The private fixture and its port; registered so the suite stops it whatever happens. */
async function startPrivateRestCatalog(
  runDir: string,
  storage: Parameters<typeof startRestCatalog>[1],
): Promise<{ service: RunningService; port: number }> {
  const service = await startRestCatalog(runDir, storage);
  services.push(service);
  return { service, port: Number(new URL(service.env['FLOE_TEST_REST_URI']!).port) };
}

/**
 * A local TCP address that forwards to the fixture's current port: the restarted fixture listens
 * on a new port, while Floe keeps the catalog URI it was configured with. `cut` drops every open
 * connection (as the killed process did) and refuses new ones until `pointAt`.
 */
async function stableAddress(
  initialPort: number,
): Promise<{ uri: string; pointAt(port: number): void; cut(): void; close(): Promise<void> }> {
  let target: number | undefined = initialPort;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (target === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    open.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const cut = (): void => {
    target = undefined;
    for (const socket of open) socket.destroy();
    open.clear();
  };
  return {
    uri: `http://127.0.0.1:${port}`,
    pointAt: (next) => void (target = next),
    cut,
    close: () => {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function waitForFile(file: string): Promise<void> {
  for (let attempt = 0; attempt < 3_000; attempt++) {
    if (existsSync(file)) return;
    await sleep(100);
  }
  throw new Error(`${file} never appeared: the worker did not reach its hold point`);
}
