import { DuckDBListValue } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { FloeError } from '../../core/errors.js';
import { indexFieldsById } from '../../iceberg/spec/schema.js';
import type { ColumnStats } from '../../iceberg/spec/metrics.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { NestedField, PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';
import { quoteIdentifier as q, quoteLiteral, quoteLiteralList } from '../sql.js';
import { parquetSchemaArgument } from '../read/parquet-schema-map.js';
import type { FieldIdColumn } from '../read/parquet-schema-map.js';
import { duckdbType } from '../types.js';
import { toPrimitiveValue } from '../values.js';

/**
 * Iceberg column metrics for one leaf column of one file, keyed by field id (spec: "Manifests",
 * value_counts … upper_bounds). Values are in Floe's in-memory form (`PrimitiveValue`); bounds are
 * exact as Parquet recorded them: truncating them (metrics mode `truncate(16)`) is the table
 * writer's call.
 */
export type { ColumnStats };

export interface ParquetFileStats {
  readonly recordCount: number;
  readonly columns: readonly ColumnStats[];
}

interface Leaf {
  readonly field: NestedField;
  readonly primitive: PrimitiveType;
  /** Inside a list or map: Iceberg (like Java's writer) keeps no bounds for such fields. */
  readonly repeated: boolean;
  /** Names from the top-level column down, for reading the leaf back (struct fields only). */
  readonly path: readonly string[];
  readonly topLevelFieldId: number;
  /** DuckDB type of that top-level column, for reading the leaf back by field id. */
  readonly topLevelType: string;
}

interface ChunkRow {
  readonly rowGroup: number;
  readonly rows: number;
  readonly leafIndex: number;
  readonly numValues: number;
  readonly nullCount: number | null;
  readonly min: string | null;
  readonly max: string | null;
  readonly maxIsExact: boolean | null;
  readonly size: number;
}

/**
 * Reads each file's footer through DuckDB's `parquet_schema()` and `parquet_metadata()` and turns
 * it into per-field-id Iceberg metrics. Leaves are matched to fields by the field ids in the
 * Parquet schema, never by name. Min/max come from `stats_min_value` / `stats_max_value` (DuckDB's
 * text for the logical value), parsed back by DuckDB itself into the field's type.
 *
 * NaN: DuckDB writes no min/max for a float/double chunk that holds a NaN, so a column whose
 * chunks all carry bounds has no NaN; otherwise its NaNs are counted by reading the column back
 * (top-level and struct fields; inside lists and maps the count is left out).
 */
export async function readParquetStats(
  connection: DuckDBConnection,
  schema: Schema,
  paths: readonly string[],
): Promise<Map<string, ParquetFileStats>> {
  const result = new Map<string, ParquetFileStats>();
  if (paths.length === 0) return result;
  const fields = indexFieldsById(schema);
  const leavesByFile = await readLeaves(connection, paths, schema, fields);
  const chunksByFile = await readChunks(connection, paths);
  const pending: { file: string; leaf: Leaf; stats: MutableStats }[] = [];
  const files: { path: string; recordCount: number; columns: MutableStats[] }[] = [];
  for (const path of paths) {
    const leaves = leavesByFile.get(path) ?? [];
    const rowGroups = new Map<number, number>();
    const byLeaf = new Map<number, ChunkRow[]>();
    for (const chunk of chunksByFile.get(path) ?? []) {
      rowGroups.set(chunk.rowGroup, chunk.rows);
      const list = byLeaf.get(chunk.leafIndex) ?? [];
      list.push(chunk);
      byLeaf.set(chunk.leafIndex, list);
    }
    const columns: MutableStats[] = [];
    leaves.forEach((leaf, leafIndex) => {
      if (!leaf) return;
      const stats = aggregate(leaf, byLeaf.get(leafIndex) ?? []);
      columns.push(stats);
      pending.push({ file: path, leaf, stats });
    });
    let recordCount = 0;
    for (const rows of rowGroups.values()) recordCount += rows;
    files.push({ path, recordCount, columns });
  }
  await convertBounds(connection, pending);
  await countNaNs(connection, pending);
  for (const file of files) result.set(file.path, { recordCount: file.recordCount, columns: file.columns.map(finish) });
  return result;
}

interface MutableStats {
  fieldId: number;
  valueCount: number;
  nullCount: number;
  nanCount?: number;
  min?: PrimitiveValue;
  max?: PrimitiveValue;
  sizeBytes: number;
  minText?: string[] | undefined;
  maxText?: string[] | undefined;
  /** Some chunk with non-null values has no bounds: bounds unknown, NaNs possible. */
  boundsMissing: boolean;
}

function finish(stats: MutableStats): ColumnStats {
  const { minText: _minText, maxText: _maxText, boundsMissing: _missing, ...rest } = stats;
  return rest;
}

function aggregate(leaf: Leaf, chunks: readonly ChunkRow[]): MutableStats {
  const stats: MutableStats = {
    fieldId: leaf.field.id,
    valueCount: 0,
    nullCount: 0,
    sizeBytes: 0,
    boundsMissing: false,
    minText: [],
    maxText: [],
  };
  for (const chunk of chunks) {
    stats.valueCount += chunk.numValues;
    stats.nullCount += chunk.nullCount ?? 0;
    stats.sizeBytes += chunk.size;
    const nonNull = chunk.nullCount === null || chunk.numValues > chunk.nullCount;
    if (!nonNull) continue;
    if (chunk.min === null || chunk.max === null || chunk.nullCount === null) {
      stats.boundsMissing = true;
      continue;
    }
    stats.minText?.push(chunk.min);
    // A max DuckDB truncated is smaller than the real one: no valid upper bound.
    if (chunk.maxIsExact === false) stats.boundsMissing = true;
    else stats.maxText?.push(chunk.max);
  }
  if (leaf.repeated || stats.boundsMissing) {
    stats.minText = undefined;
    stats.maxText = undefined;
  }
  return stats;
}

/** Parses every chunk's min/max text into the field's type, one query per DuckDB type, and keeps the extremes. */
async function convertBounds(connection: DuckDBConnection, pending: { leaf: Leaf; stats: MutableStats }[]): Promise<void> {
  const byType = new Map<string, { primitive: PrimitiveType; texts: string[]; targets: { stats: MutableStats; side: 'min' | 'max' }[] }>();
  for (const { leaf, stats } of pending) {
    for (const side of ['min', 'max'] as const) {
      const texts = side === 'min' ? stats.minText : stats.maxText;
      if (!texts || texts.length === 0) continue;
      const type = duckdbType(leaf.primitive);
      const group = byType.get(type) ?? { primitive: leaf.primitive, texts: [], targets: [] };
      for (const text of texts) {
        group.texts.push(text);
        group.targets.push({ stats, side });
      }
      byType.set(type, group);
    }
  }
  for (const [type, group] of byType) {
    if (group.primitive === 'string') {
      // A VARCHAR's statistics text is the string itself (which may hold a NUL no SQL literal can).
      group.texts.forEach((text, index) => keepExtreme(group.targets[index], text));
      continue;
    }
    const reader = await connection.runAndReadAll(`SELECT [CAST(v AS ${type}) FOR v IN ${quoteLiteralList(group.texts)}]`);
    const list = reader.getRows()[0]?.[0];
    if (!(list instanceof DuckDBListValue) || list.items.length !== group.texts.length) {
      throw new FloeError('internal', `DuckDB did not parse Parquet statistics back into ${type}`);
    }
    list.items.forEach((item, index) => keepExtreme(group.targets[index], toPrimitiveValue(item, group.primitive)));
  }
}

function keepExtreme(target: { stats: MutableStats; side: 'min' | 'max' } | undefined, value: PrimitiveValue | null): void {
  if (!target || value === null) return;
  const current = target.stats[target.side];
  if (current === undefined || (target.side === 'min' ? compare(value, current) < 0 : compare(value, current) > 0)) {
    target.stats[target.side] = value;
  }
}

/** NaN counts for float/double leaves outside lists and maps (see readParquetStats). */
async function countNaNs(connection: DuckDBConnection, pending: { file: string; leaf: Leaf; stats: MutableStats }[]): Promise<void> {
  const toScan = new Map<string, { leaf: Leaf; stats: MutableStats }[]>();
  for (const entry of pending) {
    const { leaf, stats } = entry;
    if (leaf.primitive !== 'float' && leaf.primitive !== 'double') continue;
    if (leaf.repeated) continue;
    if (!stats.boundsMissing) {
      stats.nanCount = 0;
      continue;
    }
    const list = toScan.get(entry.file) ?? [];
    list.push(entry);
    toScan.set(entry.file, list);
  }
  for (const [file, entries] of toScan) {
    const columns = new Map<number, FieldIdColumn>();
    for (const { leaf } of entries)
      columns.set(leaf.topLevelFieldId, {
        fieldId: leaf.topLevelFieldId,
        name: `__floe_c${leaf.topLevelFieldId}`,
        type: leaf.topLevelType,
      });
    const counts = entries.map(({ leaf }) => {
      const column = [`__floe_c${leaf.topLevelFieldId}`, ...leaf.path.slice(1)].map(q).join('.');
      return `count_if(isnan(${column}))`;
    });
    const reader = await connection.runAndReadAll(
      `SELECT ${counts.join(', ')} FROM read_parquet(${quoteLiteral(file)}, ${parquetSchemaArgument([...columns.values()])})`,
    );
    const row = reader.getRows()[0] ?? [];
    entries.forEach(({ stats }, index) => {
      stats.nanCount = Number(row[index] ?? 0);
    });
  }
}

/** Walks each file's Parquet schema: its leaves in column-chunk order, each with its Iceberg field. */
async function readLeaves(
  connection: DuckDBConnection,
  paths: readonly string[],
  schema: Schema,
  fields: ReadonlyMap<number, NestedField>,
): Promise<Map<string, (Leaf | undefined)[]>> {
  const reader = await connection.runAndReadAll(
    `SELECT file_name, name, num_children, field_id, repetition_type FROM parquet_schema(${quoteLiteralList(paths)}) ORDER BY file_name, column_id`,
  );
  const rowsByFile = new Map<string, { name: string; children: number; fieldId: number | null; repeated: boolean }[]>();
  for (const [file, name, children, fieldId, repetition] of reader.getRows()) {
    const list = rowsByFile.get(String(file)) ?? [];
    list.push({
      name: String(name),
      children: Number(children ?? 0),
      fieldId: fieldId === null ? null : Number(fieldId),
      repeated: repetition === 'REPEATED',
    });
    rowsByFile.set(String(file), list);
  }
  const topLevelIds = new Set(schema.fields.map((field) => field.id));
  const result = new Map<string, (Leaf | undefined)[]>();
  for (const [file, rows] of rowsByFile) {
    const leaves: (Leaf | undefined)[] = [];
    let cursor = 1; // element 0 is the schema root
    const visit = (repeatedAbove: boolean, path: readonly string[], topLevelFieldId: number | null): void => {
      const element = rows[cursor++];
      if (!element) throw new FloeError('corrupt', 'The Parquet schema ends before its declared children', { context: { file } });
      const repeated = repeatedAbove || element.repeated;
      const field = element.fieldId === null ? undefined : fields.get(element.fieldId);
      const top = topLevelFieldId ?? (element.fieldId !== null && topLevelIds.has(element.fieldId) ? element.fieldId : null);
      const here = field && !repeated ? [...path, field.name] : path;
      if (element.children === 0) {
        if (field && typeof field.type === 'string' && top !== null) {
          const topField = fields.get(top) ?? field;
          leaves.push({
            field,
            primitive: field.type,
            repeated,
            path: here,
            topLevelFieldId: top,
            topLevelType: duckdbType(topField.type),
          });
        } else {
          leaves.push(undefined);
        }
        return;
      }
      for (let child = 0; child < element.children; child++) visit(repeated, here, top);
    };
    const root = rows[0];
    for (let child = 0; child < (root?.children ?? 0); child++) visit(false, [], null);
    result.set(file, leaves);
  }
  return result;
}

async function readChunks(connection: DuckDBConnection, paths: readonly string[]): Promise<Map<string, ChunkRow[]>> {
  const reader = await connection.runAndReadAll(
    `SELECT file_name, row_group_id, row_group_num_rows, column_id, num_values, stats_null_count, stats_min_value, stats_max_value, max_is_exact, total_compressed_size ` +
      `FROM parquet_metadata(${quoteLiteralList(paths)})`,
  );
  const result = new Map<string, ChunkRow[]>();
  for (const [file, rowGroup, rows, column, numValues, nullCount, min, max, maxIsExact, size] of reader.getRows()) {
    const list = result.get(String(file)) ?? [];
    list.push({
      rowGroup: Number(rowGroup),
      rows: Number(rows),
      leafIndex: Number(column),
      numValues: Number(numValues),
      nullCount: nullCount === null ? null : Number(nullCount),
      min: min === null ? null : String(min),
      max: max === null ? null : String(max),
      maxIsExact: maxIsExact === null ? null : Boolean(maxIsExact),
      size: Number(size),
    });
    result.set(String(file), list);
  }
  return result;
}

/** Orders two values of the same primitive type (bytes unsigned-lexicographically, as Iceberg does). */
export function compare(a: PrimitiveValue, b: PrimitiveValue): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const length = Math.min(a.length, b.length);
    for (let index = 0; index < length; index++) {
      const diff = (a[index] as number) - (b[index] as number);
      if (diff !== 0) return diff;
    }
    return a.length - b.length;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint'))
    return a < b ? -1 : a > b ? 1 : 0;
  throw new FloeError('internal', `Cannot compare ${typeof a} with ${typeof b}`);
}

/** Strings order by their UTF-8 bytes (Parquet's and Iceberg's order), which is code point order. */
function compareUtf8(a: string, b: string): number {
  const left = [...a];
  const right = [...b];
  const length = Math.min(left.length, right.length);
  for (let index = 0; index < length; index++) {
    const diff = (left[index] as string).codePointAt(0)! - (right[index] as string).codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return left.length - right.length;
}
