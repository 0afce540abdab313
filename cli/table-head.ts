/**
 * What `floe table head` shows: the first rows of one snapshot of a table, read as every other
 * read is (the snapshot's manifests, columns by field id, merge-on-read deletes applied), values
 * printed as online reads print them (instants in UTC with a Z, longs exact).
 */
import type { Json } from '@duckdb/node-api';
import type { Engine } from '../engine/duckdb.js';
import { quoteIdentifier } from '../engine/sql.js';
import { scanTable } from '../engine/read/table-reader.js';
import { toPrimitiveValue } from '../engine/values.js';
import { presentValue } from '../features/online/response.js';
import type { OnlineValue } from '../features/online/response.js';
import type { LoadedTable } from '../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../iceberg/catalog/identifier.js';
import { PRIMITIVE_FEATURE_TYPES } from '../features/feature-types.js';
import type { PrimitiveType } from '../iceberg/spec/types.js';
import { defined } from '../contracts/defined.js';

export interface TableHead {
  readonly table: string;
  /** The snapshot read; null for a table with no snapshot (and no rows). */
  readonly snapshotId: string | null;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly Readonly<Record<string, OnlineValue | Json>>[];
}

/** Types whose values print as online reads print them; others (decimals, times, nested) as DuckDB's JSON. */
const PRESENTED: ReadonlySet<string> = new Set(PRIMITIVE_FEATURE_TYPES);

export async function tableHead(table: LoadedTable, engine: Engine, options: { limit: number; snapshotId?: bigint }): Promise<TableHead> {
  const name = formatTableIdentifier(table.identifier);
  const scan = await scanTable(table, {
    readFiles: engine.readFiles,
    ...defined({ snapshotId: options.snapshotId }),
  });
  // The snapshot's own schema: an older snapshot shows the columns it had.
  const fields = scan.plan.schema.fields;
  const columns = fields.map((field) => ({ name: field.name, type: typeof field.type === 'string' ? field.type : field.type.type }));
  const snapshotId = scan.plan.snapshotId === null ? null : String(scan.plan.snapshotId);
  if (scan.plan.tasks.length === 0) return { table: name, snapshotId, columns, rows: [] };
  const reader = await engine.withConnection((connection) =>
    connection.runAndReadAll(
      `SELECT ${fields.map((field) => quoteIdentifier(field.name)).join(', ')} FROM (${scan.sql}) LIMIT ${options.limit}`,
    ),
  );
  const values = reader.getRows();
  const json = reader.getRowsJson();
  const rows = values.map((row, rowIndex) =>
    Object.fromEntries(
      fields.map((field, index) => {
        const type = field.type;
        const value =
          typeof type === 'string' && PRESENTED.has(type)
            ? presentValue(type as PrimitiveType, toPrimitiveValue(row[index] ?? null, type as PrimitiveType))
            : (json[rowIndex]![index] ?? null);
        return [field.name, value];
      }),
    ),
  );
  return { table: name, snapshotId, columns, rows };
}

/** Rows as aligned columns, a header of names, `null` for nulls. */
export function describeTableHead(head: TableHead): string {
  if (head.rows.length === 0)
    return `${head.table} has no rows${head.snapshotId === null ? ' (no snapshot yet)' : ` in snapshot ${head.snapshotId}`}`;
  const text = (value: unknown): string =>
    value === null || value === undefined ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value as string);
  const cells = [
    head.columns.map((column) => column.name),
    ...head.rows.map((row) => head.columns.map((column) => text(row[column.name]))),
  ];
  const widths = head.columns.map((_, index) => Math.max(...cells.map((line) => line[index]!.length)));
  return cells
    .map((line) =>
      line
        .map((cell, index) => cell.padEnd(widths[index]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
