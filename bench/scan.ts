/**
 * `npm run bench -- scan [--quick]`: a filtered merge-on-read scan of a table shaped like a busy
 * event table (bench/_iceberg/scan-table.ts): partitioned by day, 100+ data files, position
 * deletes on a share of them and equality deletes on another, all written by Java Iceberg. The
 * filter keeps some days (partition pruning) and low ids (min/max pruning, plus rows filtered
 * inside the files kept). Read four ways in this run:
 *
 *   floe            load + scanTable (plan from the manifests with the filter, deletes attached) →
 *                   DuckDB over the plan's SQL, every time. The catalog keeps the manifests it has
 *                   decoded, as a server or worker planning the table again does; `floe_cold_*`
 *                   plans on a new FileIO each time, as a process's first plan of the table does
 *   floor           a hand-written DuckDB query over exactly the files Floe's plan keeps:
 *                   read_parquet with the filter, anti-joined with the position deletes on
 *                   (file, position) and the equality deletes on id — no catalog, no manifests
 *   duckdb_iceberg  DuckDB's own iceberg_scan over the table's metadata file with the filter in
 *                   SQL (Python's duckdb and its iceberg extension from PyPI), timed inside Python
 *   pyiceberg       table.scan(row_filter, selected_fields).to_arrow() and pyarrow's count and sums,
 *                   timed inside Python. pyiceberg cannot read equality deletes, so it reads the
 *                   snapshot before them, and `vs_pyiceberg` compares Floe reading that same snapshot
 *
 * The work is the same in each: the live matching rows' count, sum(id) and sum(value), which must
 * agree exactly (values are multiples of 1/4, so their sums are exact in any order) before any
 * time is reported. Each is run once to warm up, then REPEATS times (a slow Python peer fewer, see
 * PEER_BUDGET_MS); the median counts. Needs the
 * services' Python venv and Java oracle (`npm run services -- start`); installs DuckDB's Iceberg
 * reader from PyPI once (bench/_iceberg/duckdb-iceberg-env.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/duckdb.js';
import { registerIcebergFunctions } from '../engine/partition-functions.js';
import { quoteIdentifier as q, quoteLiteralList } from '../engine/sql.js';
import { scanTable } from '../engine/table-reader.js';
import type { TableIdentifier } from '../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../iceberg/catalog/sql-catalog.js';
import { LocalFileIO, localPath } from '../iceberg/io/local-file-io.js';
import type { ScanPlan } from '../iceberg/scan/plan.js';
import { planScan } from '../iceberg/scan/planner.js';
import { openJavaOracle } from '../test/support/java-oracle.js';
import { pythonOracle } from '../test/support/services.js';
import type { ServiceName } from '../scripts/services/service.js';
import { child } from './_child.js';
import { duckdbIcebergEnvironment } from './_iceberg/duckdb-iceberg-env.js';
import { writeScanTable, type ScanTableShape } from './_iceberg/scan-table.js';
import type { BenchmarkOptions } from './run.js';

const REPEATS = 9;
/**
 * A Python peer runs fewer than REPEATS timed runs (at least one) when they would take longer than
 * this, and takes its warm-up as its one run when that alone does (bench/_iceberg/peer_timing.py).
 */
const PEER_BUDGET_MS = 20_000;
const COLUMNS = ['id', 'value'];
const here = dirname(fileURLToPath(import.meta.url));
const PYICEBERG_SCAN = join(here, '_iceberg', 'pyiceberg_scan.py');
const DUCKDB_ICEBERG_SCAN = join(here, '_iceberg', 'duckdb_iceberg_scan.py');

const QUICK: ScanTableShape = { days: 12, appends: 10, rowsPerFile: 10_000, equalityDeleteEvery: 50 };
const FULL: ScanTableShape = { days: 30, appends: 10, rowsPerFile: 20_000, equalityDeleteEvery: 100 };

const log = (message: string): void => console.log(`[scan] ${message}`);
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (value: number): number => Math.round(value * 1000) / 1000;

interface Answer {
  readonly count: bigint;
  readonly idSum: bigint;
  readonly valueSum: number;
}

const describe = (answer: Answer): string => `count ${answer.count}, sum(id) ${answer.idSum}, sum(value) ${answer.valueSum}`;

async function timed(what: string, run: () => Promise<Answer>): Promise<{ ms: number; answer: Answer }> {
  let answer = await run();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    answer = await run();
    times.push(performance.now() - started);
  }
  return reported(what, times, answer);
}

function reported(what: string, times: readonly number[], answer: Answer): { ms: number; answer: Answer } {
  log(`${what}: ${times.map((ms) => ms.toFixed(0)).join(' / ')} ms → median ${median(times).toFixed(0)} ms (${describe(answer)})`);
  return { ms: median(times), answer };
}

/** Started by bench/run.ts. */
export const services: readonly ServiceName[] = ['python', 'java-oracle'];

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const shape = options.quick ? QUICK : FULL;
  const { python } = pythonOracle();
  const duckdbIceberg = duckdbIcebergEnvironment(python, log);
  const dir = await mkdtemp(join(tmpdir(), 'floe-bench-scan-'));
  const warehouse = `file://${join(dir, 'warehouse')}`;
  const catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse });
  const engine = await Engine.create({ setup: registerIcebergFunctions });
  const java = openJavaOracle();
  const identifier: TableIdentifier = { namespace: ['bench'], name: 'scan' };
  try {
    const table = await writeScanTable(shape, {
      catalog,
      engine,
      identifier,
      workDirectory: dir,
      java,
      javaCatalog: { type: 'sql', uri: `jdbc:sqlite:${join(dir, 'catalog.db')}`, warehouse },
      log,
    });
    const loaded = await catalog.loadTable(identifier);
    const whole = await planScan(loaded);
    const plan = await planScan(loaded, { columns: COLUMNS, filter: table.filter });
    log(
      `table: ${whole.summary.dataFiles} data files, ${whole.summary.positionDeleteFiles} position and ${whole.summary.equalityDeleteFiles} equality delete files; ` +
        `the filter keeps ${plan.summary.dataFiles} data files (${plan.summary.manifestsSkipped} of ${plan.summary.manifestsRead + plan.summary.manifestsSkipped} manifests skipped), ` +
        `${plan.summary.positionDeleteFiles} position and ${plan.summary.equalityDeleteFiles} equality delete files`,
    );

    // ---- Floe: load + plan + localize + DuckDB over the plan's SQL, every time
    const floeRead = async (options: { snapshotId?: bigint; cold?: boolean; planTimes?: number[] } = {}): Promise<Answer> => {
      const started = performance.now();
      const loaded = await catalog.loadTable(identifier);
      const scan = await scanTable(options.cold ? { ...loaded, io: new LocalFileIO() } : loaded, {
        columns: COLUMNS,
        filter: table.filter,
        ...(options.snapshotId === undefined ? {} : { snapshotId: options.snapshotId }),
      });
      options.planTimes?.push(performance.now() - started);
      return engine.withConnection(async (connection) => answerOf(await connection.runAndReadAll(sumsSql(`(${scan.sql})`))));
    };
    /** `timed` of Floe's read, with the median plan time of the timed runs (the first is the warm-up). */
    const planOf = async (what: string, cold: boolean): Promise<{ ms: number; answer: Answer; planMs: number }> => {
      const planTimes: number[] = [];
      const result = await timed(what, () => floeRead({ cold, planTimes }));
      log(
        `${what}: load + plan + localize took ${planTimes
          .slice(1)
          .map((ms) => ms.toFixed(0))
          .join(' / ')} ms of that`,
      );
      return { ...result, planMs: median(planTimes.slice(1)) };
    };
    const floe = await planOf('floe (scanTable → DuckDB)', false);
    const floeCold = await planOf('floe, manifests not yet decoded (a new FileIO each time)', true);

    // ---- the floor: the files Floe's plan keeps, filtered and anti-joined by hand
    const floorSql = handWrittenSql(plan, table.sqlFilter);
    const floor = await timed('floor (hand-written DuckDB anti-joins)', () =>
      engine.withConnection(async (connection) => answerOf(await connection.runAndReadAll(floorSql))),
    );

    // ---- DuckDB's iceberg_scan, timed in Python
    const duck = await runPythonPeer(
      DUCKDB_ICEBERG_SCAN,
      {
        extensions: duckdbIceberg.extensions,
        metadata: localPath(loaded.metadataLocation),
        where: table.sqlFilter,
        repeats: REPEATS,
        budget_ms: PEER_BUDGET_MS,
      },
      duckdbIceberg.env,
      dir,
    );
    const duckdb = reported(`duckdb_iceberg (DuckDB ${String(duck.version)} iceberg_scan)`, duck.times, pythonAnswer(duck));

    // ---- pyiceberg, timed in Python, and Floe on the same snapshot (before the equality deletes)
    const beforePlan = await planScan(loaded, { columns: COLUMNS, filter: table.filter, snapshotId: table.beforeEqualityDeletes });
    const floorBefore = await engine.withConnection(async (connection) =>
      answerOf(await connection.runAndReadAll(handWrittenSql(beforePlan, table.sqlFilter))),
    );
    const floeBefore = await timed('floe, snapshot before the equality deletes', () =>
      floeRead({ snapshotId: table.beforeEqualityDeletes }),
    );
    const py = await runPythonPeer(
      PYICEBERG_SCAN,
      {
        uri: `sqlite:///${join(dir, 'catalog.db')}`,
        warehouse,
        identifier: 'bench.scan',
        row_filter: table.pyicebergFilter,
        snapshot_id: String(table.beforeEqualityDeletes),
        repeats: REPEATS,
        budget_ms: PEER_BUDGET_MS,
      },
      process.env,
      dir,
    );
    const pyiceberg = reported(
      'pyiceberg, snapshot before the equality deletes (scan.to_arrow + count + sums)',
      py.times,
      pythonAnswer(py),
    );

    agree('the current snapshot', floor.answer, { floe: floe.answer, duckdb_iceberg: duckdb.answer });
    agree('the snapshot before the equality deletes', floorBefore, { floe: floeBefore.answer, pyiceberg: pyiceberg.answer });
    return {
      rows: table.rows,
      rows_read: Number(floor.answer.count),
      data_files: whole.summary.dataFiles,
      position_delete_files: whole.summary.positionDeleteFiles,
      equality_delete_files: whole.summary.equalityDeleteFiles,
      data_files_pruned: whole.summary.dataFiles - plan.summary.dataFiles,
      data_files_read: plan.summary.dataFiles,
      delete_files_read: plan.summary.positionDeleteFiles + plan.summary.equalityDeleteFiles,
      work: 'count(*), sum(id), sum(value) of the live rows the filter keeps; pyiceberg materializes id and value to Arrow first',
      floe_ms: Math.round(floe.ms),
      floe_plan_ms: Math.round(floe.planMs),
      floe_cold_ms: Math.round(floeCold.ms),
      floe_cold_plan_ms: Math.round(floeCold.planMs),
      floor_ms: Math.round(floor.ms),
      duckdb_iceberg_ms: Math.round(duckdb.ms),
      floe_before_equality_deletes_ms: Math.round(floeBefore.ms),
      pyiceberg_before_equality_deletes_ms: Math.round(pyiceberg.ms),
      vs_floor: round(floe.ms / floor.ms),
      vs_floor_cold: round(floeCold.ms / floor.ms),
      vs_duckdb_iceberg: round(floe.ms / duckdb.ms),
      vs_pyiceberg: round(floeBefore.ms / pyiceberg.ms),
    };
  } finally {
    await java.close();
    engine.close();
    await catalog.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const sumsSql = (from: string): string => `SELECT count(*), sum(${q('id')}), sum(${q('value')}) FROM ${from} AS rows`;

/**
 * What the plan reads, written by hand: the kept data files with the filter, minus the position
 * deletes by (file, position), minus the equality deletes by id. Matching equality deletes on id
 * alone is right for this table only: ids are unique and each delete sits in its row's partition.
 */
function handWrittenSql(plan: ScanPlan, filter: string): string {
  const data = plan.tasks.map((task) => localPath(task.dataFile.filePath));
  const deletes = (kind: 'positionDeletes' | 'equalityDeletes'): string[] => [
    ...new Set(plan.tasks.flatMap((task) => task[kind].map((ref) => localPath(ref.file.filePath)))),
  ];
  const positions = deletes('positionDeletes');
  const equalities = deletes('equalityDeletes');
  return (
    `SELECT count(*), sum(d.${q('id')}), sum(d.${q('value')}) ` +
    `FROM (SELECT * FROM read_parquet(${quoteLiteralList(data)}, filename = true, file_row_number = true) WHERE ${filter}) AS d` +
    (positions.length === 0
      ? ''
      : ` ANTI JOIN read_parquet(${quoteLiteralList(positions)}) AS p ON p.file_path = 'file://' || d.filename AND p.pos = d.file_row_number`) +
    (equalities.length === 0 ? '' : ` ANTI JOIN read_parquet(${quoteLiteralList(equalities)}) AS e ON e.${q('id')} = d.${q('id')}`)
  );
}

function answerOf(reader: { getRows(): unknown[][] }): Answer {
  const [count, idSum, valueSum] = reader.getRows()[0] ?? [];
  return { count: BigInt(count as bigint), idSum: BigInt((idSum as bigint | null) ?? 0n), valueSum: Number(valueSum ?? 0) };
}

interface PythonTimes {
  readonly times: number[];
  readonly count: number;
  readonly id_sum: string;
  readonly value_sum: number;
  readonly version?: string;
}

const pythonAnswer = (reply: PythonTimes): Answer => ({
  count: BigInt(reply.count),
  idSum: BigInt(reply.id_sum),
  valueSum: reply.value_sum,
});

function agree(snapshot: string, expected: Answer, answers: Record<string, Answer>): void {
  for (const [name, answer] of Object.entries(answers)) {
    if (answer.count !== expected.count || answer.idSum !== expected.idSum || answer.valueSum !== expected.valueSum) {
      throw new Error(`On ${snapshot}, ${name} read ${describe(answer)}; the hand-written floor read ${describe(expected)}`);
    }
  }
}

/** Runs one of the Python peers with its request in a file; returns its JSON reply. */
async function runPythonPeer(script: string, request: Record<string, unknown>, env: NodeJS.ProcessEnv, dir: string): Promise<PythonTimes> {
  const requestFile = join(dir, `${script.split('/').at(-1)}.json`);
  await writeFile(requestFile, JSON.stringify(request));
  const { stdout } = await child(pythonOracle().python, [script, requestFile], env);
  return JSON.parse(stdout) as PythonTimes;
}
