/**
 * `npm run bench -- commit [--quick]`: appends per second on one table with 1, 4 and 8 concurrent
 * writer PROCESSES (bench/_iceberg/append-writer.ts: each its own catalog and DuckDB, appendQuery
 * of 2 rows with an idempotency key), through each catalog: SQL on SQLite (local warehouse) and
 * the REST fixture (MinIO). Throughput is appends / (last append's end − first append's start), so
 * process start-up is not counted; conflicts retried are the commit attempts beyond one.
 * Peer: pyiceberg appending the same 2-row sets with 1 writer to a table of the same catalog,
 * timed inside Python; vs_pyiceberg = Floe's median time per append (1 writer) / pyiceberg's.
 * Needs the services (`npm run services -- start`).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TableIdentifier } from '../iceberg/catalog/catalog.js';
import type { CatalogConfig } from '../iceberg/catalog/catalog-config.js';
import { loadCatalog } from '../iceberg/catalog/load-catalog.js';
import { jsonRoot } from '../iceberg/spec/json.js';
import { parseSchema } from '../iceberg/spec/schema-json.js';
import type { OracleCatalog } from '../test/support/pyiceberg.js';
import { pythonOracle, restCatalogService } from '../test/support/services.js';
import type { WriterRequest } from './_iceberg/append-writer.js';
import { median } from './_stats.js';
import type { BenchmarkOptions } from './run.js';
import type { ServiceName } from '../scripts/services/service.js';
import { floeRestCatalog, oracleRestCatalog } from '../test/support/rest-catalog.js';

const here = dirname(fileURLToPath(import.meta.url));
const WRITER = join(here, '_iceberg', 'append-writer.ts');
const PY_APPENDS = join(here, '_iceberg', 'pyiceberg_appends.py');
const WRITER_COUNTS = [1, 4, 8] as const;

const log = (message: string): void => console.log(`[commit] ${message}`);
const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

const SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'writer', type: 'int', required: true },
    { id: 3, name: 'append', type: 'int', required: true },
    { id: 4, name: 'payload', type: 'string', required: false },
  ],
};
const TABLE_PROPERTIES = {
  'commit.retry.num-retries': '200',
  'commit.retry.min-wait-ms': '5',
  'commit.retry.max-wait-ms': '500',
  'commit.retry.total-timeout-ms': '600000',
};

interface AppendLine {
  append?: number;
  attempts?: number;
  ms?: number;
  startedAt?: number;
  endedAt?: number;
  done?: boolean;
}

function runWriter(request: WriterRequest): Promise<AppendLine[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: AppendLine[] = [];
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line) as AppendLine));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 && lines.at(-1)?.done
        ? resolve(lines.filter((line) => line.append !== undefined))
        : reject(new Error(`writer ${request.writer} failed (exit ${String(code)}):\n${stderr}`)),
    );
  });
}

async function pyicebergAppends(dir: string, catalog: OracleCatalog, identifier: string, count: number): Promise<number[]> {
  const requestFile = join(dir, `py-appends-${randomUUID()}.json`);
  await writeFile(requestFile, JSON.stringify({ catalog, identifier, count, writer: 99 }));
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(pythonOracle().python, [PY_APPENDS, requestFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`pyiceberg appends failed (exit ${String(code)}):\n${err}`)),
    );
  });
  return (JSON.parse(output) as { times: number[] }).times;
}

interface CatalogCase {
  name: 'sql' | 'rest';
  floe: CatalogConfig;
  oracle: OracleCatalog;
  namespace: string;
}

function catalogCases(dir: string): CatalogCase[] {
  const rest = restCatalogService();
  const suffix = randomUUID().slice(0, 8);
  return [
    {
      name: 'sql',
      floe: { type: 'sql', name: 'floe_oracle', uri: join(dir, 'catalog.db'), create: true, warehouse: `file://${join(dir, 'warehouse')}` },
      oracle: { type: 'sql', uri: `sqlite:///${join(dir, 'catalog.db')}`, warehouse: `file://${join(dir, 'warehouse')}` },
      namespace: 'bench_commit',
    },
    {
      name: 'rest',
      floe: { ...floeRestCatalog(rest), name: 'rest' },
      oracle: oracleRestCatalog(rest),
      namespace: `bench_commit_${suffix}`,
    },
  ];
}

/** Started by bench/run.ts. */
export const services: readonly ServiceName[] = ['python', 'rest-catalog'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  /** Appends per writer-count level, split across its writers. */
  const appendsPerLevel = options.quick ? 16 : 48;
  const pyAppends = options.quick ? 8 : 24;
  const dir = await mkdtemp(join(tmpdir(), 'floe-bench-commit-'));
  const figures: Record<string, unknown> = { appends_per_level: appendsPerLevel, rows_per_append: 2 };
  try {
    for (const testCase of catalogCases(dir)) {
      const catalog = await loadCatalog(testCase.floe);
      try {
        await catalog.createNamespace([testCase.namespace]);
        let floeSingleMs = 0;
        for (const writers of WRITER_COUNTS) {
          const identifier: TableIdentifier = { namespace: [testCase.namespace], name: `w${writers}` };
          await catalog.createTable(identifier, { schema: parseSchema(SCHEMA, jsonRoot('bench schema')), properties: TABLE_PROPERTIES });
          const perWriter = appendsPerLevel / writers;
          const keyPrefix = randomUUID().slice(0, 8);
          const results = await Promise.all(
            Array.from({ length: writers }, (_, writer) =>
              runWriter({ catalog: testCase.floe, identifier, writer, first: 0, count: perWriter, rowsPerAppend: 2, keyPrefix }),
            ),
          );
          const lines = results.flat();
          const span = Math.max(...lines.map((line) => line.endedAt!)) - Math.min(...lines.map((line) => line.startedAt!));
          const perSecond = (lines.length / span) * 1000;
          const retried = lines.reduce((sum, line) => sum + line.attempts! - 1, 0);
          // The first append of each writer pays for its DuckDB and catalog warm-up: leave it out of the median.
          const perAppend = median(results.flatMap((writerLines) => writerLines.slice(1).map((line) => line.ms!)));
          if (writers === 1) floeSingleMs = perAppend;
          log(
            `${testCase.name}, ${writers} writer(s): ${lines.length} appends in ${span} ms → ${perSecond.toFixed(2)} appends/s; median ${perAppend.toFixed(0)} ms per append; ${retried} conflicts retried`,
          );
          figures[`${testCase.name}_w${writers}_appends_per_s`] = round(perSecond, 2);
          figures[`${testCase.name}_w${writers}_conflicts_retried`] = retried;
        }
        const pyIdentifier: TableIdentifier = { namespace: [testCase.namespace], name: 'pyiceberg' };
        await catalog.createTable(pyIdentifier, { schema: parseSchema(SCHEMA, jsonRoot('bench schema')) });
        const pyTimes = await pyicebergAppends(dir, testCase.oracle, `${testCase.namespace}.pyiceberg`, pyAppends);
        const pyMs = median(pyTimes);
        log(`${testCase.name}, pyiceberg 1 writer: median ${pyMs.toFixed(0)} ms per append (${(1000 / pyMs).toFixed(2)} appends/s)`);
        figures[`${testCase.name}_floe_ms_per_append`] = Math.round(floeSingleMs);
        figures[`${testCase.name}_pyiceberg_ms_per_append`] = Math.round(pyMs);
        figures[`${testCase.name}_vs_pyiceberg`] = round(floeSingleMs / pyMs);
      } finally {
        await catalog.close();
      }
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
