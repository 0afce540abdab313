// services: temporal, nessie, python
// The REST catalog fault on a production catalog: a 72-window backfill (50-minute windows, two at
// a time) whose source and online tables live in Project Nessie (version store on Postgres,
// warehouse on MinIO), with Nessie SIGKILLed a third of the way in and started again on the same
// port and database. It must finish on its own, every brute-force row once as pyiceberg reads the
// online table, and leave no file of Floe's own under the table that no snapshot refers to. The
// Nessie here is this file's own (scripts/services/nessie.ts, a database of its own on the stack's
// Postgres), never the stack's. Each run prints its figures on a `[fault]` line: rows lost and
// duplicated, total time, the longest stall between two windows landing, and the orphans.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { NESSIE_WAREHOUSE_NAME, startNessie } from '../../../scripts/services/nessie.js';
import type { RunningService } from '../../../scripts/services/service.js';
import type { BackfillProgress } from '../../../contracts/backfill.js';
import type { backfill } from '../../../workflows/backfill.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import type { CatalogConfig } from '../../../iceberg/catalog/catalog-config.js';
import { ancestorsOf } from '../../../iceberg/spec/metadata.js';
import { normalizeLocation } from '../../../iceberg/maintenance/remove-orphan-files.js';
import { driverStatsRows } from '../../support/driver-stats.js';
import { referencedByPyiceberg } from '../../support/compaction/referenced.js';
import { httpGetOk } from '../../../scripts/services/process.js';
import type { OracleCatalog } from '../../support/pyiceberg.js';
import { postgresService, s3Service } from '../../support/services.js';
import { kill, restart } from '../../support/pipelines/faults.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { expectedRows, onlineRows, RANGE, startPipelineWorker, VIEW, writeSourceTable } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const WINDOW_MINUTES = 50;
/** RANGE (2.5 days) in 50-minute windows: 72 of them. */
const WINDOWS = Array.from({ length: 72 }, (_, index) => {
  const start = Date.parse(RANGE.start) + index * WINDOW_MINUTES * 60_000;
  return { start: new Date(start).toISOString(), end: new Date(start + WINDOW_MINUTES * 60_000).toISOString() };
});
const KILL_AFTER_WINDOWS = 24;
const DOWN_MS = 3_000;
const CATALOG_BACK_BOUND_MS = 30_000;

const scratch = scratchFolder('fault-nessie');
const services: RunningService[] = [];
after(async () => {
  for (const service of services) for (const managed of service.processes) await managed.stop();
});

interface FaultFigures {
  lost: number;
  duplicated: number;
  totalMs: number;
  longestStallMs: number;
  /** From the catalog answering again to the next window landing (undefined without a fault). */
  backToLandingMs: number | undefined;
  orphans: string[];
}

test('Nessie SIGKILLed and restarted during a 72-window backfill: it finishes on its own, every row once, no litter of Floe’s own', async (t) => {
  const figures = await backfillOnNessie(t, 'restart', async (nessie, uri) => {
    await kill(nessie);
    await sleep(DOWN_MS);
    await restart(nessie, `GET ${uri}/v1/config`, async () => void (await httpGetOk(`${uri}/v1/config`)));
  });
  assert.deepEqual([figures.lost, figures.duplicated], [0, 0], 'no row lost, none duplicated');
  // As for the fixture's restart (fault-stalls.test.ts): bounded waits and capped retries bring the backfill back.
  assert.ok(figures.backToLandingMs! < CATALOG_BACK_BOUND_MS, `the next window landed ${figures.backToLandingMs} ms after Nessie was back`);
  assert.deepEqual(figures.orphans, [], 'no file of Floe’s own left unreferenced');
});

/** Runs the backfill on a Nessie of its own; `fault`, when given, runs once KILL_AFTER_WINDOWS windows have landed. */
async function backfillOnNessie(
  t: TestContext,
  name: string,
  fault?: (nessie: RunningService, uri: string) => Promise<void>,
): Promise<FaultFigures> {
  const s3 = s3Service();
  const storage = { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
  const runDir = path.join(scratch, name);
  await mkdir(runDir, { recursive: true });
  const nessie = await startNessie(runDir, {
    storage,
    postgresUrl: postgresService().url,
    database: `nessie_fault_${randomUUID().replaceAll('-', '').slice(0, 8)}`,
    name: `nessie-fault-${name}`,
  });
  services.push(nessie);
  const uri = nessie.env['FLOE_TEST_NESSIE_REST_URI']!;
  const oracle: OracleCatalog = { type: 'rest', uri, warehouse: NESSIE_WAREHOUSE_NAME, s3: storage };
  const floeCatalog: CatalogConfig = {
    type: 'rest',
    name: 'nessie',
    uri,
    warehouse: NESSIE_WAREHOUSE_NAME,
    s3: { ...storage, pathStyle: true },
  };
  const suffix = randomUUID().slice(0, 8);
  const rows = driverStatsRows();
  const table = `fault_src_${suffix}.driver_stats`;
  // Nessie, unlike the fixture, creates a table only in a namespace that exists.
  await withCatalog(floeCatalog, (catalog) => catalog.createNamespace([`fault_src_${suffix}`]));
  await writeSourceTable(oracle, table, rows);
  const source = { directory: path.join(runDir, 'floe'), oracle, floeCatalog, table, rows } as unknown as SourceTable;
  const worker = await startPipelineWorker(source, { onlineNamespace: `fault_online_${suffix}` });
  try {
    const started = Date.now();
    const handle = await worker.client.workflow.start<typeof backfill>('backfill', {
      taskQueue: worker.taskQueue,
      workflowId: `backfill-fault-nessie-${name}-${randomUUID()}`,
      args: [{ featureViews: [VIEW], ...RANGE, chunk: `${WINDOW_MINUTES}m`, parallelism: 2 }],
    });
    const landings = watchLandings(handle);
    let backAt: number | undefined;
    if (fault !== undefined) {
      await landings.reached(KILL_AFTER_WINDOWS);
      await fault(nessie, uri);
      backAt = Date.now();
    }
    const result = await handle.result();
    const totalMs = Date.now() - started;
    landings.stop();
    assert.equal(result.chunks, WINDOWS.length);

    const expected = expectedRows(rows, WINDOWS);
    const actual = await onlineRows(source, worker.onlineNamespace);
    const { lost, duplicated } = compareRows(expected, actual);
    const orphans = await floeLitter(floeCatalog, oracle, `${worker.onlineNamespace}.${VIEW}`);
    const backToLandingMs = backAt === undefined ? undefined : landings.firstAfter(backAt) - backAt;
    const figures = { lost, duplicated, totalMs, longestStallMs: landings.longestStallMs(started), backToLandingMs, orphans };
    const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    const back = backToLandingMs === undefined ? '' : ` (the next window ${seconds(backToLandingMs)} after Nessie answered again)`;
    const line = `${name}: ${lost} rows lost, ${duplicated} duplicated (of ${expected.length}), ${seconds(totalMs)} in all, longest stall ${seconds(figures.longestStallMs)}${back}, ${orphans.length} orphans`;
    t.diagnostic(line);
    console.log(`[fault] Nessie ${line}${orphans.length === 0 ? '' : `: ${orphans.join(', ')}`}`);
    return figures;
  } finally {
    await worker.close();
  }
}

/** When each window landed, from the backfill's progress (polled every 250 ms). */
function watchLandings(handle: WorkflowHandle): {
  reached(count: number): Promise<void>;
  longestStallMs(since: number): number;
  /** When the first window landed after `time`. */
  firstAfter(time: number): number;
  stop(): void;
} {
  const times: number[] = [];
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        const done = (await handle.query<BackfillProgress>('progress')).chunksDone;
        while (times.length < done) times.push(Date.now());
      } catch {
        // No worker to answer the query for a moment.
      }
      await sleep(250);
    }
  })();
  return {
    async reached(count) {
      for (let polls = 0; polls < 2_400 && times.length < count; polls++) await sleep(250);
      if (times.length < count) throw new Error(`the backfill never reached ${count} windows`);
    },
    longestStallMs(since) {
      return Math.max(...times.map((time, index) => time - (index === 0 ? since : times[index - 1]!)));
    },
    firstAfter(time) {
      const landed = times.find((each) => each >= time);
      if (landed === undefined) throw new Error('no window landed after the fault');
      return landed;
    },
    stop() {
      stopped = true;
    },
  };
}

/** Rows missing from `actual` and rows it holds more often than `expected` does. */
function compareRows(expected: Record<string, unknown>[], actual: Record<string, unknown>[]): { lost: number; duplicated: number } {
  const counts = new Map<string, number>();
  for (const row of expected) counts.set(JSON.stringify(row), (counts.get(JSON.stringify(row)) ?? 0) + 1);
  let duplicated = 0;
  for (const row of actual) {
    const key = JSON.stringify(row);
    const left = counts.get(key) ?? 0;
    if (left > 0) counts.set(key, left - 1);
    else duplicated++;
  }
  return { lost: [...counts.values()].reduce((sum, left) => sum + left, 0), duplicated };
}

/**
 * Files under the table's location that no snapshot of its history refers to, less the metadata
 * files Nessie itself writes (one per commit). pyiceberg sees only Nessie's current snapshot, so the
 * manifest lists of the earlier ones come from the history Floe reads back from Nessie's log.
 */
async function floeLitter(floeCatalog: CatalogConfig, oracle: OracleCatalog, identifier: string): Promise<string[]> {
  const referenced = new Set(await referencedByPyiceberg(oracle, identifier));
  return withCatalog(floeCatalog, async (catalog) => {
    const [namespace, name] = identifier.split('.') as [string, string];
    const loaded = await catalog.loadTable({ namespace: [namespace], name });
    const head = loaded.metadata.currentSnapshotId;
    const history = head === null || head === undefined ? [] : [...ancestorsOf(loaded.metadata, head)];
    for (const snapshot of history) if (snapshot.manifestList !== null) referenced.add(normalizeLocation(snapshot.manifestList));
    const litter: string[] = [];
    for await (const file of loaded.io.list(`${loaded.metadata.location}/`)) {
      const location = normalizeLocation(file.location);
      if (!referenced.has(location) && !location.endsWith('.metadata.json')) litter.push(location);
    }
    return litter.sort();
  });
}

async function withCatalog<T>(config: CatalogConfig, use: (catalog: Catalog) => Promise<T>): Promise<T> {
  const catalog = await loadCatalog(config);
  try {
    return await use(catalog);
  } finally {
    await catalog.close();
  }
}
