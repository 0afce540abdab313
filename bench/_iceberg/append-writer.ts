/**
 * One writer PROCESS: its own catalog and DuckDB, appending small distinct row sets to one table,
 * each append with its own idempotency key. Used by the concurrency test
 * (test/integration/interop/concurrent-appends.test.ts) and the commit benchmark (bench/commit.ts).
 *
 *   tsx bench/_iceberg/append-writer.ts '<json WriterRequest>'
 *
 * Prints one JSON line per append ({"append": i, "snapshotId", "attempts", "alreadyCommitted",
 * "ms", "startedAt", "endedAt"} — epoch ms) and a last line {"done": true, ...}. Rows of append i of writer w: ids
 * w * 1_000_000 + i * rowsPerAppend + k for k < rowsPerAppend, so every row is distinct.
 *
 * Test hook (FLOE_TEST_COMMIT_PAUSE=before-commit|after-commit with FLOE_TEST_COMMIT_PAUSE_KEY=<key>):
 * when the change with that idempotency key reaches the catalog, the writer prints
 * {"paused": "<when>"} and waits forever, so a test can SIGKILL it there — before-commit: its data
 * files, manifest and manifest list are written but the pointer is not swapped; after-commit: the
 * commit landed but the process never learns it.
 */
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appendQuery } from '../../engine/write/append-query.js';
import { Engine } from '../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../engine/write/partition-functions.js';
import type { Catalog, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { loadCatalog } from '../../iceberg/catalog/load-catalog.js';
import { IDEMPOTENCY_KEY_PROPERTY } from '../../iceberg/commit/table-change.js';

export interface WriterRequest {
  readonly catalog: CatalogConfig;
  readonly identifier: TableIdentifier;
  readonly writer: number;
  /** Appends i = first … first + count - 1. */
  readonly first: number;
  readonly count: number;
  readonly rowsPerAppend: number;
  /** Idempotency key of append i: `${keyPrefix}-w${writer}-a${i}`. */
  readonly keyPrefix: string;
}

export const appendKey = (request: Pick<WriterRequest, 'keyPrefix' | 'writer'>, append: number): string =>
  `${request.keyPrefix}-w${request.writer}-a${append}`;

/** SQL for the rows of one append (columns id BIGINT, writer INTEGER, append INTEGER, payload VARCHAR). */
export function appendRowsSql(writer: number, append: number, rows: number): string {
  const base = writer * 1_000_000 + append * rows;
  return `SELECT CAST(${base} + i AS BIGINT) AS id, CAST(${writer} AS INTEGER) AS writer, CAST(${append} AS INTEGER) AS "append", 'w' || ${writer} || '-a' || ${append} || '-r' || i AS payload FROM range(${rows}) AS t(i)`;
}

function withPauseHook(catalog: Catalog): Catalog {
  const when = process.env.FLOE_TEST_COMMIT_PAUSE;
  const key = process.env.FLOE_TEST_COMMIT_PAUSE_KEY;
  if (when === undefined || key === undefined) return catalog;
  const pause = async (): Promise<never> => {
    process.stdout.write(`${JSON.stringify({ paused: when })}\n`);
    for (;;) await new Promise((resolve) => setTimeout(resolve, 60_000));
  };
  const carriesKey = (updates: Parameters<Catalog['commitTable']>[2]): boolean =>
    updates.some((update) => update.action === 'add-snapshot' && update.snapshot.summary[IDEMPOTENCY_KEY_PROPERTY] === key);
  return new Proxy(catalog, {
    get(target, property, receiver) {
      if (property !== 'commitTable') return Reflect.get(target, property, receiver) as unknown;
      return async (...args: Parameters<Catalog['commitTable']>) => {
        if (when === 'before-commit' && carriesKey(args[2])) await pause();
        const result = await target.commitTable(...args);
        if (when === 'after-commit' && carriesKey(args[2])) await pause();
        return result;
      };
    },
  });
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as WriterRequest;
  const catalog = withPauseHook(await loadCatalog(request.catalog));
  const engine = await Engine.create({ threads: 1, setup: registerIcebergFunctions });
  const workDirectory = join(tmpdir(), `floe-append-writer-${process.pid}`);
  await mkdir(workDirectory, { recursive: true });
  let attempts = 0;
  try {
    for (let append = request.first; append < request.first + request.count; append++) {
      const started = performance.now();
      const startedAt = Date.now();
      const result = await appendQuery({
        catalog,
        engine,
        identifier: request.identifier,
        query: appendRowsSql(request.writer, append, request.rowsPerAppend),
        workDirectory,
        idempotencyKey: appendKey(request, append),
      });
      attempts += result.attempts;
      process.stdout.write(
        `${JSON.stringify({ append, snapshotId: String(result.snapshotId), attempts: result.attempts, alreadyCommitted: result.alreadyCommitted, ms: performance.now() - started, startedAt, endedAt: Date.now() })}\n`,
      );
    }
    process.stdout.write(`${JSON.stringify({ done: true, writer: request.writer, attempts })}\n`);
  } finally {
    engine.close();
    await catalog.close();
    await rm(workDirectory, { recursive: true, force: true });
  }
}

// Run as a script only: the test and the benchmark import this module for its request type and keys.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
