/**
 * `npm run bench -- scan [--quick]`: a merge-on-read scan. A 10M-row table (--quick: 1M) that Floe
 * writes (appendQuery, several data files), with every 10th row of each file deleted by Java
 * Iceberg's position deletes (one delete file per data file), read three ways in this run:
 *
 *   floe       scanTable (plan from the manifests, deletes attached) → DuckDB over the plan's SQL
 *   pyiceberg  table.scan(selected_fields=('value',)).to_arrow(), then pyarrow's count and sum,
 *              timed inside Python
 *   floor      a hand-written DuckDB query over the same files: read_parquet anti-joined with the
 *              delete files on (file, position) — no catalog, no manifests, no planning
 *
 * The work is the same in each: the live rows' count and the sum of one column (`value`), which
 * the three must agree on (and equal the known answer). Floe and the floor aggregate inside DuckDB;
 * pyiceberg has no way to aggregate without materializing, so it builds the one-column Arrow table.
 * Each is run once to warm up, then REPEATS times; the median counts. Needs the services' Python
 * venv and Java oracle (`npm run services -- start`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendQuery } from '../engine/append-query.js';
import { Engine } from '../engine/duckdb.js';
import { registerIcebergFunctions } from '../engine/partition-functions.js';
import { quoteLiteralList } from '../engine/sql.js';
import { scanTable } from '../engine/table-reader.js';
import type { TableIdentifier } from '../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../iceberg/catalog/sql-catalog.js';
import { localPath } from '../iceberg/io/local-file-io.js';
import { jsonRoot } from '../iceberg/spec/json.js';
import { parseSchema } from '../iceberg/spec/schema-json.js';
import { planScan } from '../iceberg/scan/planner.js';
import { pythonOracle } from '../test/support/services.js';
import { openJavaOracle } from '../test/support/java-oracle.js';
import type { BenchmarkOptions } from './run.js';
import type { ServiceName } from '../scripts/services/service.js';

const REPEATS = 3;
const DELETE_EVERY = 10;
const PYTHON_SCAN = join(dirname(fileURLToPath(import.meta.url)), '_iceberg', 'pyiceberg_scan.py');

const log = (message: string): void => console.log(`[scan] ${message}`);
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Answer {
  count: bigint;
  sum: number;
}

async function timed(what: string, run: () => Promise<Answer>): Promise<{ ms: number; answer: Answer }> {
  let answer = await run();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    answer = await run();
    times.push(performance.now() - started);
  }
  log(
    `${what}: ${times.map((ms) => ms.toFixed(0)).join(' / ')} ms → median ${median(times).toFixed(0)} ms (count ${answer.count}, sum ${answer.sum})`,
  );
  return { ms: median(times), answer };
}

/** Started by bench/run.ts. */
export const services: readonly ServiceName[] = ['python', 'java-oracle'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const rows = options.quick ? 1_000_000 : 10_000_000;
  const dir = await mkdtemp(join(tmpdir(), 'floe-bench-scan-'));
  const warehouse = `file://${join(dir, 'warehouse')}`;
  const catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse });
  const engine = await Engine.create({ setup: registerIcebergFunctions });
  const java = openJavaOracle();
  const identifier: TableIdentifier = { namespace: ['bench'], name: 'scan' };
  try {
    // ---- the table: Floe's data files, Java's position deletes
    log(`writing ${rows.toLocaleString('en')} rows with Floe`);
    await catalog.createNamespace(['bench']);
    await catalog.createTable(identifier, {
      schema: parseSchema(
        {
          type: 'struct',
          'schema-id': 0,
          fields: [
            { id: 1, name: 'id', type: 'long', required: true },
            { id: 2, name: 'value', type: 'double', required: true },
            { id: 3, name: 'name', type: 'string', required: false },
          ],
        },
        jsonRoot('bench schema'),
      ),
      properties: {
        'write.target-file-size-bytes': String(options.quick ? 4 * 1024 * 1024 : 32 * 1024 * 1024),
        'write.delete.mode': 'merge-on-read',
      },
    });
    await appendQuery({
      catalog,
      engine,
      identifier,
      query: `SELECT CAST(i AS BIGINT) AS id, CAST(i % 1000 AS DOUBLE) / 4 AS value, 'name-' || (i % 977) AS name FROM range(${rows}) AS t(i)`,
      workDirectory: dir,
    });
    const written = await planScan(await catalog.loadTable(identifier));
    log(`${written.tasks.length} data files; Java deletes every ${DELETE_EVERY}th row of each by position`);
    const javaCatalog = { type: 'sql' as const, uri: `jdbc:sqlite:${join(dir, 'catalog.db')}`, warehouse };
    for (const task of written.tasks) {
      const positions = Array.from({ length: Math.ceil(task.dataFile.recordCount / DELETE_EVERY) }, (_, k) => k * DELETE_EVERY);
      await java.run('delete_positions', { catalog: javaCatalog, identifier: 'bench.scan', file_path: task.dataFile.filePath, positions });
    }
    const table = await catalog.loadTable(identifier);
    const plan = await planScan(table);
    const deleted = plan.tasks.reduce((sum, task) => sum + Math.ceil(task.dataFile.recordCount / DELETE_EVERY), 0);
    log(
      `plan: ${plan.mode}, ${plan.summary.dataFiles} data files, ${plan.summary.positionDeleteFiles} position delete files, ${deleted.toLocaleString('en')} rows deleted`,
    );

    // ---- Floe: plan + localize + DuckDB over the plan's SQL, every time
    const planTimes: number[] = [];
    const floe = await timed('floe (scanTable → DuckDB count + sum)', async () => {
      const started = performance.now();
      const scan = await scanTable(await catalog.loadTable(identifier), { columns: ['value'] });
      planTimes.push(performance.now() - started);
      return engine.withConnection(async (connection) =>
        answerOf(await connection.runAndReadAll(`SELECT count(*), sum("value") FROM (${scan.sql})`)),
      );
    });
    log(
      `floe: load + plan + localize took ${planTimes
        .slice(1)
        .map((ms) => ms.toFixed(0))
        .join(' / ')} ms of that`,
    );

    // ---- the floor: the same files, anti-joined by hand
    const dataPaths = plan.tasks.map((task) => localPath(task.dataFile.filePath));
    const deletePaths = [...new Set(plan.tasks.flatMap((task) => task.positionDeletes.map((ref) => localPath(ref.file.filePath))))];
    const floorSql = `SELECT count(*), sum(d."value") FROM read_parquet(${quoteLiteralList(dataPaths)}, filename = true, file_row_number = true) AS d
      ANTI JOIN read_parquet(${quoteLiteralList(deletePaths)}) AS p ON p.file_path = 'file://' || d.filename AND p.pos = d.file_row_number`;
    const floor = await timed('floor (hand-written DuckDB anti-join)', () =>
      engine.withConnection(async (connection) => answerOf(await connection.runAndReadAll(floorSql))),
    );

    // ---- pyiceberg, timed in Python
    const py = await pyicebergScan(dir, join(dir, 'catalog.db'), warehouse);
    log(
      `pyiceberg (scan.to_arrow + count + sum): ${py.times.map((ms) => ms.toFixed(0)).join(' / ')} ms → median ${median(py.times).toFixed(0)} ms (count ${py.count}, sum ${py.sum})`,
    );

    const expected: Answer = {
      count: BigInt(rows - deleted),
      sum: await engine.withConnection(async (connection) => answerOf(await connection.runAndReadAll(floorSql))).then((a) => a.sum),
    };
    for (const [name, answer] of [
      ['floe', floe.answer],
      ['floor', floor.answer],
      ['pyiceberg', { count: BigInt(py.count), sum: py.sum }],
    ] as const) {
      if (answer.count !== expected.count || Math.abs(answer.sum - expected.sum) > 1e-6 * Math.abs(expected.sum)) {
        throw new Error(
          `${name} read ${answer.count} rows summing to ${answer.sum}; expected ${expected.count} rows summing to ${expected.sum}`,
        );
      }
    }
    const pyMs = median(py.times);
    return {
      rows,
      deleted_rows: deleted,
      data_files: plan.summary.dataFiles,
      delete_files: plan.summary.positionDeleteFiles,
      work: 'count(*) + sum(value) of live rows; pyiceberg materializes the value column to Arrow first',
      floe_ms: Math.round(floe.ms),
      floe_plan_ms: Math.round(median(planTimes.slice(1))),
      pyiceberg_ms: Math.round(pyMs),
      floor_ms: Math.round(floor.ms),
      vs_pyiceberg: round(floe.ms / pyMs),
      vs_floor: round(floe.ms / floor.ms),
    };
  } finally {
    await java.close();
    engine.close();
    await catalog.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const round = (value: number): number => Math.round(value * 1000) / 1000;

function answerOf(reader: { getRows(): unknown[][] }): Answer {
  const [count, sum] = reader.getRows()[0] ?? [];
  return { count: BigInt(count as bigint), sum: Number(sum) };
}

async function pyicebergScan(dir: string, db: string, warehouse: string): Promise<{ times: number[]; count: number; sum: number }> {
  const requestFile = join(dir, 'pyiceberg-scan.json');
  await writeFile(requestFile, JSON.stringify({ uri: `sqlite:///${db}`, warehouse, identifier: 'bench.scan', repeats: REPEATS }));
  const { python } = pythonOracle();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(python, [PYTHON_SCAN, requestFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pyiceberg scan failed (exit ${String(code)}):\n${err}`))));
  });
  return JSON.parse(output) as { times: number[]; count: number; sum: number };
}
