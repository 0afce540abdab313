import { appendQuery } from '../../engine/write/append-query.js';
import type { Engine } from '../../engine/duckdb.js';
import type { Catalog, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { and, gtEq, lt, type Expression } from '../../iceberg/expressions/expression.js';
import { planScan } from '../../iceberg/scan/planner.js';
import { jsonRoot } from '../../iceberg/spec/json.js';
import { parseSchema } from '../../iceberg/spec/schema-json.js';
import { fromBinary } from '../../iceberg/spec/values.js';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import type { JavaCatalog, JavaFile, JavaOracleSession } from '../../test/support/java-oracle.js';

/**
 * The table `bench scan` reads: what a busy event table looks like after a while of streaming
 * upserts. Partitioned by day(ts); `appends` Floe appends each write one data file per day, so
 * there are days × appends data files. Ids are laid out by (append, day, row), so each data file
 * holds one contiguous id range and its min/max metrics can rule it out. Java Iceberg then deletes:
 *
 *   position deletes   every DELETE_EVERY-th row of the files of POSITION_APPENDS, one commit per
 *                      append (so one delete file per data file, in its day's partition). On a
 *                      format v3 table Java writes the same positions as deletion vectors
 *                      (BaseDVFileWriter: one Puffin file per commit, one vector per data file)
 *   equality deletes   by id, every equalityDeleteEvery-th row (offset 5) of the files of EQUALITY_APPENDS,
 *                      one commit per append: a delete file per day that applies to every data
 *                      file of that day, as upserting writers (Flink) leave them
 *
 * The equality deletes come last, so `beforeEqualityDeletes` is a snapshot with position deletes
 * only (pyiceberg cannot read equality deletes).
 */
export interface ScanTableShape {
  readonly days: number;
  readonly appends: number;
  readonly rowsPerFile: number;
  /**
   * Every how many rows of an equality-delete append an equality delete removes. DuckDB's
   * iceberg_scan (1.4) takes time growing with data rows × delete rows of a partition, so this
   * sets how long that peer runs.
   */
  readonly equalityDeleteEvery: number;
}

export const DELETE_EVERY = 10;
const POSITION_APPENDS = [0, 1, 2];
const EQUALITY_APPENDS = [3, 4, 8];
/** The filter keeps the appends below this one, and half of this one's days (by min/max on id). */
const FIRST_PRUNED_APPEND = 5;
const START = '2026-01-01';
const MICROS_PER_DAY = 86_400_000_000;

export interface ScanTable {
  readonly rows: number;
  /** What Java was asked to delete by position: the positions of each data file (the same on v2 and v3). */
  readonly deletedPositions: ReadonlyMap<string, readonly number[]>;
  /** The position delete files (v2) or deletion vectors (v3) Java wrote, and the files holding them. */
  readonly positionDeletes: { readonly files: number; readonly deletionVectors: number };
  readonly beforeEqualityDeletes: bigint;
  /** What the benchmark reads: some days (partition pruning) and low ids (min/max pruning and a row filter). */
  readonly filter: Expression;
  /** The same filter for pyiceberg's row_filter parser. */
  readonly pyicebergFilter: string;
  /** The same filter as DuckDB SQL over the columns `id` and `ts`. */
  readonly sqlFilter: string;
}

export async function writeScanTable(
  shape: ScanTableShape,
  context: {
    catalog: Catalog;
    engine: Engine;
    identifier: TableIdentifier;
    workDirectory: string;
    java: JavaOracleSession;
    javaCatalog: JavaCatalog;
    /** 3: the position deletes are deletion vectors. */
    formatVersion: 2 | 3;
    log: (message: string) => void;
  },
): Promise<ScanTable> {
  const { catalog, engine, identifier, java, javaCatalog, formatVersion, log } = context;
  const { days, appends, rowsPerFile, equalityDeleteEvery } = shape;
  if (appends <= Math.max(...POSITION_APPENDS, ...EQUALITY_APPENDS, FIRST_PRUNED_APPEND) || days < 6) {
    throw new Error(`The scan table needs more than ${Math.max(...EQUALITY_APPENDS)} appends and at least 6 days`);
  }
  await catalog.createNamespace(identifier.namespace);
  await catalog.createTable(identifier, {
    schema: parseSchema(
      {
        type: 'struct',
        'schema-id': 0,
        fields: [
          { id: 1, name: 'id', type: 'long', required: true },
          { id: 2, name: 'ts', type: 'timestamp', required: true },
          { id: 3, name: 'value', type: 'double', required: true },
          { id: 4, name: 'name', type: 'string', required: false },
        ],
      },
      jsonRoot('bench schema'),
    ),
    partitionSpec: { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'ts_day', transform: 'day' }] },
    properties: { 'write.delete.mode': 'merge-on-read' },
    formatVersion,
  });
  const idOf = (append: number, day: number, row: number): number => (append * days + day) * rowsPerFile + row;
  const step = Math.floor(MICROS_PER_DAY / rowsPerFile);
  /** The start of a day as a timestamp without zone: what equality delete rows give for `ts` (only `id` is compared). */
  const dayStart = (day: number): string => new Date(Date.parse(`${START}T00:00:00Z`) + day * 86_400_000).toISOString().replace('Z', '');

  log(`writing ${days} days × ${appends} appends × ${rowsPerFile.toLocaleString('en')} rows with Floe`);
  for (let append = 0; append < appends; append++) {
    await appendQuery({
      catalog,
      engine,
      identifier,
      workDirectory: context.workDirectory,
      query: `SELECT CAST((${append} * ${days} + day) * ${rowsPerFile} + r AS BIGINT) AS id,
        TIMESTAMP ${quoteLiteral(START)} + to_microseconds(CAST(day AS BIGINT) * ${MICROS_PER_DAY} + CAST(r AS BIGINT) * ${step}) AS ts,
        CAST(((${append} * ${days} + day) * ${rowsPerFile} + r) % 1000 AS DOUBLE) / 4 AS value,
        'name-' || (((${append} * ${days} + day) * ${rowsPerFile} + r) % 977) AS name
        FROM range(${days}) AS d(day), range(${rowsPerFile}) AS t(r)`,
    });
  }

  const dataFiles = await liveDataFilesByAppend(catalog, identifier, days, rowsPerFile);
  const positions = Array.from({ length: Math.ceil(rowsPerFile / DELETE_EVERY) }, (_, k) => k * DELETE_EVERY);
  const deletedPositions = new Map<string, readonly number[]>();
  const deleteFiles: JavaFile[] = [];
  for (const append of POSITION_APPENDS) {
    log(`Java: position deletes for the ${days} files of append ${append}${formatVersion === 3 ? ', as deletion vectors' : ''}`);
    const files = dataFiles.get(append) ?? [];
    const reply = await java.run('delete_positions', {
      catalog: javaCatalog,
      identifier: identifier.namespace.concat(identifier.name).join('.'),
      deletes: files.map((filePath) => ({ file_path: filePath, positions })),
    });
    for (const filePath of files) deletedPositions.set(filePath, positions);
    deleteFiles.push(...(reply.delete_files ?? []));
  }
  const positionDeletes = checkedPositionDeletes(deleteFiles, [...deletedPositions.keys()], formatVersion);
  const beforeEqualityDeletes = (await catalog.loadTable(identifier)).metadata.currentSnapshotId;
  if (beforeEqualityDeletes === null) throw new Error('the scan table has no snapshot after its position deletes');
  for (const append of EQUALITY_APPENDS) {
    log(`Java: equality deletes (by id) for rows of append ${append}, one file per day`);
    const rows: { id: string; ts: string }[] = [];
    for (let day = 0; day < days; day++) {
      for (let row = 5; row < rowsPerFile; row += equalityDeleteEvery) rows.push({ id: String(idOf(append, day, row)), ts: dayStart(day) });
    }
    await java.run('delete_equality', {
      catalog: javaCatalog,
      identifier: identifier.namespace.concat(identifier.name).join('.'),
      equality_fields: ['id'],
      rows,
    });
  }

  const from = dayStart(2);
  const to = dayStart(days - 2);
  const idBelow = idOf(FIRST_PRUNED_APPEND, Math.floor(days / 2), Math.floor(rowsPerFile / 2));
  return {
    rows: days * appends * rowsPerFile,
    deletedPositions,
    positionDeletes,
    beforeEqualityDeletes,
    filter: and(gtEq('ts', from), lt('ts', to), lt('id', idBelow)),
    pyicebergFilter: `ts >= '${from}' and ts < '${to}' and id < ${idBelow}`,
    sqlFilter: `${q('ts')} >= TIMESTAMP ${quoteLiteral(from)} AND ${q('ts')} < TIMESTAMP ${quoteLiteral(to)} AND ${q('id')} < ${idBelow}`,
  };
}

/**
 * What Java wrote for the position deletes, checked to be what the table's format version calls
 * for: on v3 one deletion vector (a Puffin blob naming its data file) per data file and no position
 * delete file, on v2 Parquet position delete files only.
 */
function checkedPositionDeletes(
  files: readonly JavaFile[],
  dataFiles: readonly string[],
  formatVersion: 2 | 3,
): ScanTable['positionDeletes'] {
  const vectors = files.filter((file) => file.file_format === 'PUFFIN');
  if (formatVersion === 2) {
    if (vectors.length > 0) throw new Error(`Java wrote ${vectors.length} deletion vectors to the format v2 scan table`);
    return { files: files.length, deletionVectors: 0 };
  }
  const referenced = vectors.map((file) => file.referenced_data_file).sort();
  if (vectors.length !== files.length || JSON.stringify(referenced) !== JSON.stringify([...dataFiles].sort())) {
    throw new Error(
      `Java was to write one deletion vector for each of ${dataFiles.length} data files of the format v3 scan table; it wrote ${vectors.length} vectors for ${new Set(referenced).size} data files and ${files.length - vectors.length} other delete files`,
    );
  }
  return { files: new Set(vectors.map((file) => file.file_path)).size, deletionVectors: vectors.length };
}

/** The data files of each append, by the id range their metrics record (file names say nothing). */
async function liveDataFilesByAppend(
  catalog: Catalog,
  identifier: TableIdentifier,
  days: number,
  rowsPerFile: number,
): Promise<Map<number, string[]>> {
  const plan = await planScan(await catalog.loadTable(identifier));
  const byAppend = new Map<number, string[]>();
  for (const task of plan.tasks) {
    const lower = task.dataFile.lowerBounds?.get(1);
    if (!lower) throw new Error(`data file ${task.dataFile.filePath} has no lower bound for id`);
    const minId = Number(fromBinary('long', lower));
    const append = Math.floor(minId / rowsPerFile / days);
    byAppend.set(append, [...(byAppend.get(append) ?? []), task.dataFile.filePath]);
  }
  return byAppend;
}
