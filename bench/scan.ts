/**
 * `npm run bench -- scan [--quick] [--format-version 3]`: a filtered merge-on-read scan of a table
 * shaped like a busy event table (bench/_iceberg/scan-table.ts): partitioned by day, 100+ data
 * files, position deletes on a share of them and equality deletes on another, all written by Java
 * Iceberg; with `--format-version 3` the table is format v3 and its position deletes are deletion
 * vectors (Puffin blobs, one per data file; the same rows deleted). The
 * filter keeps some days (partition pruning) and low ids (min/max pruning, plus rows filtered
 * inside the files kept). Read four ways in this run:
 *
 *   floe            load + scanTable (plan from the manifests with the filter, deletes attached) →
 *                   DuckDB over the plan's SQL, every time. The catalog keeps the manifests it has
 *                   decoded, as a server or worker planning the table again does; `floe_cold_*`
 *                   plans on a new FileIO each time, as a process's first plan of the table does
 *   floor           a hand-written DuckDB query over exactly the files Floe's plan keeps:
 *                   read_parquet with the filter, anti-joined with the position deletes on
 *                   (file, position) and the equality deletes on id — no catalog, no manifests.
 *                   On v3 DuckDB cannot read a deletion vector, so the floor is given the deleted
 *                   positions: those the bench had Java delete, one Parquet file of (file_path,
 *                   pos) per vector written before timing, read as v2's floor reads its position
 *                   delete files. It pays no Puffin read and no Roaring decoding; Floe pays them on
 *                   its first read of each vector (the warm-up) and keeps the decoded rows on disk
 *                   (engine/deletes/deletion-vectors.ts), as a worker reading the table again does
 *   duckdb_iceberg  DuckDB's own iceberg_scan over the table's metadata file with the filter in
 *                   SQL (Python's duckdb and its iceberg extension from PyPI), timed inside Python
 *   pyiceberg       table.scan(row_filter, selected_fields).to_arrow() and pyarrow's count and sums,
 *                   timed inside Python. pyiceberg cannot read equality deletes, so it reads the
 *                   snapshot before them, and `vs_pyiceberg` compares Floe reading that same snapshot
 *
 * On v3 a Python peer that fails on the table, or reads other rows than the floor, is reported as
 * not comparable (`<peer>_not_comparable` says why; its time and ratio are null) rather than failing
 * the run: whether a peer's version reads deletion vectors is one of the findings.
 *
 * The work is the same in each: the live matching rows' count, sum(id) and sum(value), which must
 * agree exactly (values are multiples of 1/4, so their sums are exact in any order) before any
 * time is reported. Each is run once to warm up, then REPEATS times (a slow Python peer fewer, see
 * PEER_BUDGET_MS); the median counts. Needs the
 * services' Python venv and Java oracle (`npm run services -- start`); installs DuckDB's Iceberg
 * reader from PyPI once (bench/_iceberg/duckdb-iceberg-env.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/duckdb.js';
import { registerIcebergFunctions } from '../engine/write/partition-functions.js';
import { quoteIdentifier as q, quoteLiteral, quoteLiteralList } from '../engine/sql.js';
import { scanTable } from '../engine/read/table-reader.js';
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
import {
  agree,
  answerOf,
  comparableAnswer,
  describe,
  peerResult,
  type Answer,
  type Measured,
  type PeerResult,
} from './_iceberg/scan-answers.js';
import { writeScanTable, type ScanTableShape } from './_iceberg/scan-table.js';
import { median } from './_stats.js';
import type { BenchmarkOptions } from './run.js';
import { defined } from '../contracts/defined.js';

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

const round = (value: number): number => Math.round(value * 1000) / 1000;

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
  const formatVersion = formatVersionOf(options.args);
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
      formatVersion,
      log,
    });
    const loaded = await catalog.loadTable(identifier);
    const whole = await planScan(loaded);
    const plan = await planScan(loaded, { columns: COLUMNS, filter: table.filter });
    const positionDeletes =
      formatVersion === 3
        ? `${whole.summary.deletionVectors ?? 0} deletion vectors (in ${table.positionDeletes.files} Puffin files)`
        : `${whole.summary.positionDeleteFiles} position delete files`;
    log(
      `table (format v${formatVersion}): ${whole.summary.dataFiles} data files, ${positionDeletes} and ${whole.summary.equalityDeleteFiles} equality delete files; ` +
        `the filter keeps ${plan.summary.dataFiles} data files (${plan.summary.manifestsSkipped} of ${plan.summary.manifestsRead + plan.summary.manifestsSkipped} manifests skipped), ` +
        `${plan.summary.positionDeleteFiles} position delete files, ${plan.summary.deletionVectors ?? 0} deletion vectors and ${plan.summary.equalityDeleteFiles} equality delete files`,
    );

    // The floor's query: the files Floe's plan keeps, filtered and anti-joined by hand
    const givenPositions = formatVersion === 3 ? await writeGivenPositions(engine, table.deletedPositions, join(dir, 'given')) : undefined;
    const floorDeletes = (plan: ScanPlan): string[] =>
      givenPositions === undefined
        ? deleteFilesOf(plan, 'positionDeletes')
        : plan.tasks.flatMap((task) => givenPositions.get(task.dataFile.filePath) ?? []);
    const floorSql = handWrittenSql(plan, table.sqlFilter, floorDeletes(plan));
    const readFloor = (sql: string): Promise<Answer> =>
      engine.withConnection(async (connection) => answerOf(await connection.runAndReadAll(sql)));

    // ---- Floe: load + plan + localize + DuckDB over the plan's SQL, every time
    const floeRead = async (options: { snapshotId?: bigint; cold?: boolean; planTimes?: number[] } = {}): Promise<Answer> => {
      const started = performance.now();
      const loaded = await catalog.loadTable(identifier);
      const scan = await scanTable(options.cold ? { ...loaded, io: new LocalFileIO() } : loaded, {
        columns: COLUMNS,
        filter: table.filter,
        ...defined({ snapshotId: options.snapshotId }),
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
    // Floe must read what the floor reads before anything is timed.
    agree('the current snapshot, before timing', await readFloor(floorSql), { floe: await floeRead() });
    const floe = await planOf('floe (scanTable → DuckDB)', false);
    const floeCold = await planOf('floe, manifests not yet decoded (a new FileIO each time)', true);

    // ---- the floor: the files Floe's plan keeps, filtered and anti-joined by hand
    const floor = await timed('floor (hand-written DuckDB anti-joins)', () => readFloor(floorSql));

    // ---- DuckDB's iceberg_scan, timed in Python
    const duckdb = await peer('duckdb_iceberg', formatVersion, floor.answer, async () => {
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
      return reported(`duckdb_iceberg (DuckDB ${String(duck.version)} iceberg_scan)`, duck.times, pythonAnswer(duck));
    });

    // ---- pyiceberg, timed in Python, and Floe on the same snapshot (before the equality deletes)
    const beforePlan = await planScan(loaded, { columns: COLUMNS, filter: table.filter, snapshotId: table.beforeEqualityDeletes });
    const floorBefore = await readFloor(handWrittenSql(beforePlan, table.sqlFilter, floorDeletes(beforePlan)));
    const floeBefore = await timed('floe, snapshot before the equality deletes', () =>
      floeRead({ snapshotId: table.beforeEqualityDeletes }),
    );
    const pyiceberg = await peer('pyiceberg', formatVersion, floorBefore, async () => {
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
      return reported('pyiceberg, snapshot before the equality deletes (scan.to_arrow + count + sums)', py.times, pythonAnswer(py));
    });

    agree('the current snapshot', floor.answer, { floe: floe.answer, ...comparableAnswer('duckdb_iceberg', duckdb) });
    agree('the snapshot before the equality deletes', floorBefore, {
      floe: floeBefore.answer,
      ...comparableAnswer('pyiceberg', pyiceberg),
    });
    return {
      format_version: formatVersion,
      rows: table.rows,
      rows_read: Number(floor.answer.count),
      data_files: whole.summary.dataFiles,
      position_delete_files: whole.summary.positionDeleteFiles,
      ...(formatVersion === 3 ? { deletion_vectors: whole.summary.deletionVectors ?? 0, puffin_files: table.positionDeletes.files } : {}),
      equality_delete_files: whole.summary.equalityDeleteFiles,
      data_files_pruned: whole.summary.dataFiles - plan.summary.dataFiles,
      data_files_read: plan.summary.dataFiles,
      delete_files_read: plan.summary.positionDeleteFiles + (plan.summary.deletionVectors ?? 0) + plan.summary.equalityDeleteFiles,
      work: 'count(*), sum(id), sum(value) of the live rows the filter keeps; pyiceberg materializes id and value to Arrow first',
      ...(formatVersion === 3
        ? {
            floor_deletes:
              'given: the deleted positions as Parquet (file_path, pos), one file per deletion vector; no Puffin read or Roaring decoding',
          }
        : {}),
      floe_ms: Math.round(floe.ms),
      floe_plan_ms: Math.round(floe.planMs),
      floe_cold_ms: Math.round(floeCold.ms),
      floe_cold_plan_ms: Math.round(floeCold.planMs),
      floor_ms: Math.round(floor.ms),
      duckdb_iceberg_ms: 'notComparable' in duckdb ? null : Math.round(duckdb.ms),
      floe_before_equality_deletes_ms: Math.round(floeBefore.ms),
      pyiceberg_before_equality_deletes_ms: 'notComparable' in pyiceberg ? null : Math.round(pyiceberg.ms),
      vs_floor: round(floe.ms / floor.ms),
      vs_floor_cold: round(floeCold.ms / floor.ms),
      vs_duckdb_iceberg: 'notComparable' in duckdb ? null : round(floe.ms / duckdb.ms),
      vs_pyiceberg: 'notComparable' in pyiceberg ? null : round(floeBefore.ms / pyiceberg.ms),
      ...('notComparable' in duckdb ? { duckdb_iceberg_not_comparable: duckdb.notComparable } : {}),
      ...('notComparable' in pyiceberg ? { pyiceberg_not_comparable: pyiceberg.notComparable } : {}),
    };
  } finally {
    await java.close();
    engine.close();
    await catalog.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const sumsSql = (from: string): string => `SELECT count(*), sum(${q('id')}), sum(${q('value')}) FROM ${from} AS rows`;

/** `--format-version 2|3`, 2 when not given. */
export function formatVersionOf(args: readonly string[]): 2 | 3 {
  const at = args.findIndex((arg) => arg === '--format-version' || arg.startsWith('--format-version='));
  if (at === -1) return 2;
  const text = args[at]!.startsWith('--format-version=') ? args[at]!.slice('--format-version='.length) : args[at + 1];
  if (text === '2') return 2;
  if (text === '3') return 3;
  throw new Error(`--format-version takes 2 or 3 (the format version of the scanned table), got ${JSON.stringify(text ?? '')}`);
}

/** The local paths of the delete files of one kind that the plan's tasks apply, each once. */
const deleteFilesOf = (plan: ScanPlan, kind: 'positionDeletes' | 'equalityDeletes'): string[] => [
  ...new Set(plan.tasks.flatMap((task) => task[kind].map((ref) => localPath(ref.file.filePath)))),
];

/**
 * The floor's deletes on a v3 table: the positions the bench had Java delete, written as a v2
 * position delete file holds them (file_path as the table names the data file, pos; sorted), one
 * Parquet file per data file, as there is one deletion vector per data file. Returns each data
 * file's positions file.
 */
async function writeGivenPositions(
  engine: Engine,
  deleted: ReadonlyMap<string, readonly number[]>,
  dir: string,
): Promise<Map<string, string>> {
  await mkdir(dir, { recursive: true });
  const files = new Map<string, string>();
  await engine.withConnection(async (connection) => {
    for (const [dataFile, positions] of deleted) {
      const file = join(dir, `positions-${files.size}.parquet`);
      await connection.run(
        `COPY (SELECT ${quoteLiteral(dataFile)} AS file_path, CAST(pos AS BIGINT) AS pos FROM unnest([${positions.map(String).join(', ')}]) AS t(pos) ORDER BY pos) ` +
          `TO ${quoteLiteral(file)} (FORMAT parquet)`,
      );
      files.set(dataFile, file);
    }
  });
  return files;
}

/**
 * What the plan reads, written by hand: the kept data files with the filter, minus the position
 * deletes by (file, position), minus the equality deletes by id. Matching equality deletes on id
 * alone is right for this table only: ids are unique and each delete sits in its row's partition.
 * `positions` are Parquet files with columns file_path and pos (v2 position delete files, or on v3
 * the given positions).
 */
function handWrittenSql(plan: ScanPlan, filter: string, positions: readonly string[]): string {
  const data = plan.tasks.map((task) => localPath(task.dataFile.filePath));
  const equalities = deleteFilesOf(plan, 'equalityDeletes');
  return (
    `SELECT count(*), sum(d.${q('id')}), sum(d.${q('value')}) ` +
    `FROM (SELECT * FROM read_parquet(${quoteLiteralList(data)}, filename = true, file_row_number = true) WHERE ${filter}) AS d` +
    (positions.length === 0
      ? ''
      : ` ANTI JOIN read_parquet(${quoteLiteralList(positions)}) AS p ON p.file_path = 'file://' || d.filename AND p.pos = d.file_row_number`) +
    (equalities.length === 0 ? '' : ` ANTI JOIN read_parquet(${quoteLiteralList(equalities)}) AS e ON e.${q('id')} = d.${q('id')}`)
  );
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

/** `peerResult`, saying in the log when the peer is not comparable. */
async function peer(name: string, formatVersion: 2 | 3, floor: Answer, run: () => Promise<Measured>): Promise<PeerResult> {
  const result = await peerResult(formatVersion, floor, run);
  if ('notComparable' in result) log(`${name}: not comparable on format v3: ${result.notComparable}`);
  return result;
}

/** Runs one of the Python peers with its request in a file; returns its JSON reply. */
async function runPythonPeer(script: string, request: Record<string, unknown>, env: NodeJS.ProcessEnv, dir: string): Promise<PythonTimes> {
  const requestFile = join(dir, `${script.split('/').at(-1)}.json`);
  await writeFile(requestFile, JSON.stringify(request));
  const { stdout } = await child(pythonOracle().python, [script, requestFile], env);
  return JSON.parse(stdout) as PythonTimes;
}
