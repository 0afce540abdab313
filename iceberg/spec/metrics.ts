/**
 * From a writer's per-column statistics to a DataFile's metrics maps, honouring the table's
 * metrics modes (`write.metadata.metrics.default`, `write.metadata.metrics.column.<name>`:
 * none | counts | truncate(N) | full; default truncate(16)) as Java's MetricsConfig does.
 */
import { FloeError } from '../../core/errors.js';
import type { DataFile } from './manifest.js';
import type { Schema } from './schema.js';
import { truncateCodePoints } from './transforms.js';
import type { IcebergType, PrimitiveType, PrimitiveValue } from './types.js';
import { toBinary } from './values.js';

/** One column's statistics in one data file, keyed by field id, as a Parquet writer reports them. */
export interface ColumnStats {
  readonly fieldId: number;
  /** Values including nulls (Parquet's num_values). */
  readonly valueCount: number;
  readonly nullCount: number;
  /** float/double only: NaN values, which Parquet keeps out of min/max. */
  readonly nanCount?: number;
  readonly min?: PrimitiveValue;
  readonly max?: PrimitiveValue;
  /** Compressed bytes of the column's chunks. */
  readonly sizeBytes?: number;
}

export type MetricsMode =
  | { readonly kind: 'none' }
  | { readonly kind: 'counts' }
  | { readonly kind: 'truncate'; readonly length: number }
  | { readonly kind: 'full' };

export const DEFAULT_METRICS_MODE_PROPERTY = 'write.metadata.metrics.default';
export const COLUMN_METRICS_MODE_PREFIX = 'write.metadata.metrics.column.';
const DEFAULT_MODE: MetricsMode = { kind: 'truncate', length: 16 };

export function parseMetricsMode(text: string, property: string): MetricsMode {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'none' || trimmed === 'counts' || trimmed === 'full') return { kind: trimmed };
  const match = /^truncate\((\d+)\)$/.exec(trimmed);
  if (match && Number(match[1]) > 0) return { kind: 'truncate', length: Number(match[1]) };
  throw new FloeError(
    'invalid-input',
    `Table property ${property} is ${JSON.stringify(text)}; expected none, counts, truncate(N) with N > 0, or full`,
    {
      context: { property },
    },
  );
}

export type DataFileMetrics = Pick<
  DataFile,
  'columnSizes' | 'valueCounts' | 'nullValueCounts' | 'nanValueCounts' | 'lowerBounds' | 'upperBounds'
>;

export function dataFileMetrics(
  schema: Schema,
  stats: readonly ColumnStats[],
  properties: Readonly<Record<string, string>>,
): DataFileMetrics {
  const defaultText = properties[DEFAULT_METRICS_MODE_PROPERTY];
  const defaultMode = defaultText === undefined ? DEFAULT_MODE : parseMetricsMode(defaultText, DEFAULT_METRICS_MODE_PROPERTY);
  const columns = columnsById(schema);
  const columnSizes = new Map<number, number>();
  const valueCounts = new Map<number, number>();
  const nullValueCounts = new Map<number, number>();
  const nanValueCounts = new Map<number, number>();
  const lowerBounds = new Map<number, Uint8Array>();
  const upperBounds = new Map<number, Uint8Array>();

  for (const stat of stats) {
    const column = columns.get(stat.fieldId);
    if (!column) {
      throw new FloeError(
        'invalid-input',
        `Column statistics for field id ${stat.fieldId}, which schema ${schema.schemaId} does not have`,
        {
          context: { fieldId: stat.fieldId, schemaId: schema.schemaId },
        },
      );
    }
    const property = `${COLUMN_METRICS_MODE_PREFIX}${column.name}`;
    const modeText = properties[property];
    const mode = modeText === undefined ? defaultMode : parseMetricsMode(modeText, property);
    if (mode.kind === 'none') continue;
    if (stat.sizeBytes !== undefined) columnSizes.set(stat.fieldId, stat.sizeBytes);
    valueCounts.set(stat.fieldId, stat.valueCount);
    nullValueCounts.set(stat.fieldId, stat.nullCount);
    const isFloating = column.type === 'float' || column.type === 'double';
    if (isFloating && stat.nanCount !== undefined) nanValueCounts.set(stat.fieldId, stat.nanCount);
    if (mode.kind === 'counts' || typeof column.type !== 'string' || column.type === 'unknown') continue;
    const type: PrimitiveType = column.type;
    const lower = stat.min === undefined ? undefined : lowerBound(type, stat.min, mode);
    const upper = stat.max === undefined ? undefined : upperBound(type, stat.max, mode);
    if (lower !== undefined) lowerBounds.set(stat.fieldId, toBinary(type, lower));
    if (upper !== undefined) upperBounds.set(stat.fieldId, toBinary(type, upper));
  }
  return { columnSizes, valueCounts, nullValueCounts, nanValueCounts, lowerBounds, upperBounds };
}

function lowerBound(type: PrimitiveType, value: PrimitiveValue, mode: MetricsMode): PrimitiveValue | undefined {
  if (typeof value === 'number' && Number.isNaN(value)) return undefined; // NaN is never a bound
  // A writer's min of 0.0 may hide a -0.0 (spec: -0.0 must precede +0.0 in bounds).
  if ((type === 'float' || type === 'double') && value === 0) return -0;
  if (mode.kind !== 'truncate') return value;
  if (type === 'string') return truncateCodePoints(value as string, mode.length);
  if (type === 'binary') return (value as Uint8Array).subarray(0, mode.length);
  return value;
}

function upperBound(type: PrimitiveType, value: PrimitiveValue, mode: MetricsMode): PrimitiveValue | undefined {
  if (typeof value === 'number' && Number.isNaN(value)) return undefined;
  if ((type === 'float' || type === 'double') && value === 0) return 0;
  if (mode.kind !== 'truncate') return value;
  if (type === 'string') return truncateStringMax(value as string, mode.length);
  if (type === 'binary') return truncateBinaryMax(value as Uint8Array, mode.length);
  return value;
}

const MIN_SURROGATE = 0xd800;
const MAX_SURROGATE = 0xdfff;
const MAX_CODE_POINT = 0x10ffff;

/**
 * The least string of at most `length` code points that is ≥ every string with `value`'s prefix
 * (Java's UnicodeUtil.truncateStringMax): truncate, then increment the last code point that can
 * be, skipping surrogates. undefined when none can (then the file has no upper bound).
 */
export function truncateStringMax(value: string, length: number): string | undefined {
  const codePoints = [...value].map((char) => char.codePointAt(0)!);
  if (codePoints.length <= length) return value;
  for (let i = length - 1; i >= 0; i -= 1) {
    const codePoint = codePoints[i]!;
    if (codePoint === MAX_CODE_POINT) continue;
    const next = codePoint === MIN_SURROGATE - 1 ? MAX_SURROGATE + 1 : codePoint + 1;
    return String.fromCodePoint(...codePoints.slice(0, i), next);
  }
  return undefined;
}

/** Java's BinaryUtil.truncateBinaryMax: truncate, then increment the last byte below 0xFF. */
export function truncateBinaryMax(value: Uint8Array, length: number): Uint8Array | undefined {
  if (value.length <= length) return value;
  for (let i = length - 1; i >= 0; i -= 1) {
    if (value[i] !== 0xff) {
      const out = value.slice(0, i + 1);
      out[i] = value[i]! + 1;
      return out;
    }
  }
  return undefined;
}

interface Column {
  readonly name: string;
  readonly type: IcebergType;
}

/** Every field by id with its full dotted name (`address.city`, `tags.key`, `points.element`). */
function columnsById(schema: Schema): ReadonlyMap<number, Column> {
  const columns = new Map<number, Column>();
  const visit = (prefix: string, type: IcebergType): void => {
    if (typeof type === 'string') return;
    if (type.type === 'struct') {
      for (const field of type.fields) {
        const name = prefix ? `${prefix}.${field.name}` : field.name;
        columns.set(field.id, { name, type: field.type });
        visit(name, field.type);
      }
    } else if (type.type === 'list') {
      columns.set(type.elementId, { name: `${prefix}.element`, type: type.element });
      visit(`${prefix}.element`, type.element);
    } else {
      columns.set(type.keyId, { name: `${prefix}.key`, type: type.key });
      columns.set(type.valueId, { name: `${prefix}.value`, type: type.value });
      visit(`${prefix}.key`, type.key);
      visit(`${prefix}.value`, type.value);
    }
  };
  visit('', { type: 'struct', fields: schema.fields });
  return columns;
}
