import type { Catalog, LoadedTable } from '../iceberg/catalog/catalog.js';
import { parseTableIdentifier } from '../iceberg/catalog/identifier.js';
import { FloeError } from '../iceberg/errors.js';
import type { FilterLiteral } from '../iceberg/expressions/expression.js';
import type { PrimitiveType } from '../iceberg/spec/types.js';
import type { FeatureViewDefinition, IcebergSourceDefinition } from './definitions.js';

// A feature view's Iceberg source as every reader of it sees it (historical retrieval,
// materialization, push, `floe apply`): its table, its columns by feature name, its event times.

/** The source column holding a key or feature, through the source's field mapping (source name → feature name). */
export function sourceColumns(source: IcebergSourceDefinition): (name: string) => string {
  const sourceNameOf = new Map(Object.entries(source.fieldMapping ?? {}).map(([sourceName, name]) => [name, sourceName]));
  return (name) => sourceNameOf.get(name) ?? name;
}

export async function loadSourceTable(
  catalog: Catalog,
  view: FeatureViewDefinition,
  source: IcebergSourceDefinition,
): Promise<LoadedTable> {
  return withSource(view, source, source.table, () => catalog.loadTable(parseTableIdentifier(source.table)));
}

export function isTimeType(type: PrimitiveType): boolean {
  return type === 'timestamp' || type === 'timestamptz' || type === 'timestamp_ns' || type === 'timestamptz_ns' || type === 'date';
}

/** An instant in µs as the filter literal for a column of the timestamp field's type (rounded outward for coarser types). */
export function timeLiteral(micros: bigint, type: PrimitiveType, bound: 'from' | 'to'): FilterLiteral {
  if (type === 'timestamp_ns' || type === 'timestamptz_ns') return micros * 1000n + (bound === 'to' ? 999n : 0n);
  if (type === 'date') {
    const day = 86_400_000_000n;
    const days = micros >= 0n ? micros / day : -((-micros + day - 1n) / day);
    return Number(days);
  }
  return micros;
}

/** Errors of `body` that are for good name the feature view and the source they were met for. */
export async function withSource<T>(
  view: FeatureViewDefinition,
  source: IcebergSourceDefinition,
  table: string,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (FloeError.is(error) && !error.retryable && !error.detail.startsWith(`Feature view ${view.name}`)) {
      throw new FloeError(error.kind, `Feature view ${view.name}, source ${source.name} (table ${table}): ${error.detail}`, {
        context: { ...error.context, featureView: view.name },
        cause: error,
      });
    }
    throw error;
  }
}
