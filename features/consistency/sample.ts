import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier as q, quoteLiteral } from '../../engine/sql.js';
import { scanTable } from '../../engine/read/table-reader.js';
import { toPrimitiveValue } from '../../engine/values.js';
import { FloeError } from '../../core/errors.js';
import type { PrimitiveType, PrimitiveValue } from '../../iceberg/spec/types.js';
import type { FeatureContext } from '../context.js';
import type { FeatureViewDefinition } from '../definitions.js';

/** The keys of the entities a consistency check looks at, and the Parquet file holding them (for the offline side). */
export interface EntitySample {
  readonly keyColumns: readonly { readonly name: string; readonly type: PrimitiveType }[];
  /** One object of join key values per sampled entity, in a fixed order. */
  readonly entities: readonly Readonly<Record<string, PrimitiveValue>>[];
  /** Distinct entities in the online table's current snapshot. */
  readonly population: number;
}

/**
 * Up to `size` distinct entities of the view's online table (its current snapshot), chosen by a
 * hash of their keys and `seed`: the same table and seed give the same sample, another seed
 * another one. The keys are also written to `parquetFile` (key columns only, in sample order).
 */
export async function sampleEntities(
  context: FeatureContext,
  connection: DuckDBConnection,
  view: FeatureViewDefinition,
  options: { readonly size: number; readonly seed: number; readonly parquetFile: string },
): Promise<EntitySample> {
  const keyColumns = context.registry.joinKeysOf(view).map((key) => ({ name: key.name, type: key.type as PrimitiveType }));
  const identifier = context.registry.onlineTableOf(view);
  const tableName = [...identifier.namespace, identifier.name].join('.');
  if (!(await context.catalog.tableExists(identifier)))
    throw new FloeError(
      'invalid-input',
      `Feature view ${view.name} has no online table ${tableName} yet: materialize it before checking its consistency`,
      { context: { featureView: view.name, table: tableName } },
    );
  const table = await context.catalog.loadTable(identifier);
  const keys = keyColumns.map((column) => q(column.name));
  const scan = await scanTable(table, { columns: keyColumns.map((column) => column.name), readFiles: context.engine.readFiles });
  const distinct = `SELECT DISTINCT ${keys.join(', ')} FROM (${scan.sql}) WHERE ${keys.map((key) => `${key} IS NOT NULL`).join(' AND ')}`;
  const seed = `${Math.trunc(options.seed)}::BIGINT`;
  // The keys break hash ties, so the order (and the sample) never depends on how DuckDB read the files.
  const sampled = `SELECT ${keys.join(', ')} FROM (${distinct}) ORDER BY hash(${keys.join(', ')}, ${seed}), ${keys.join(', ')} LIMIT ${Math.trunc(options.size)}`;
  await connection.run(`COPY (${sampled}) TO ${quoteLiteral(options.parquetFile)} (FORMAT parquet)`);
  const rows = (await connection.runAndReadAll(`SELECT * FROM read_parquet(${quoteLiteral(options.parquetFile)})`)).getRows();
  const population = Number((await connection.runAndReadAll(`SELECT count(*) FROM (${distinct})`)).getRows()[0]?.[0] ?? 0);
  const entities = rows.map((row) =>
    Object.fromEntries(keyColumns.map((column, index) => [column.name, toPrimitiveValue(row[index] ?? null, column.type)!])),
  );
  return { keyColumns, entities, population };
}
