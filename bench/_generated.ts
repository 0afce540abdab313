import type { Engine } from '../engine/duckdb.js';
import { quoteLiteral } from '../engine/sql.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import type { PartitionSpec } from '../iceberg/spec/partition.js';
import type { SortOrder } from '../iceberg/spec/sort-order.js';
import type { NestedField } from '../iceberg/spec/types.js';

// What the generated benchmark data sets (bench pit, bench aggregate) share: 30 days of driver
// events from 2024-01-01 made by DuckDB from hashes of the row number, so a rerun makes the same data.

export const START_US = Date.UTC(2024, 0, 1) * 1000;
export const SPAN_US = 30 * 86_400 * 1_000_000;
const EPOCH = `TIMESTAMPTZ '1970-01-01 00:00:00+00'`;

/** The columns driver_id, event_timestamp (within the 30 days) and created (up to an hour later), hashed from `hashArgs` (e.g. `i`). */
export function driverEventColumnsSql(hashArgs: string, keys: number): string {
  const event = `(${START_US} + hash(${hashArgs}, 't') % ${SPAN_US})::BIGINT`;
  return (
    `(hash(${hashArgs}, 'k') % ${keys})::BIGINT AS driver_id, ` +
    `(${EPOCH} + to_microseconds(${event})) AS event_timestamp, ` +
    `(${EPOCH} + to_microseconds(${event} + (hash(${hashArgs}, 'c') % 3600000000)::BIGINT)) AS created`
  );
}

/**
 * Replaces bench.<name> with an empty format-version 2 table of `fields`: unpartitioned files of
 * up to 256 MiB, or with `layout`, its partition spec and sort order (files then as the writer
 * cuts them: one per partition, or one sorted file per append).
 */
export async function recreateBenchTable(
  catalog: Catalog,
  name: string,
  fields: readonly NestedField[],
  layout: { readonly partitionSpec?: PartitionSpec; readonly sortOrder?: SortOrder } = {},
): Promise<{ namespace: string[]; name: string }> {
  if (!(await catalog.namespaceExists(['bench']))) await catalog.createNamespace(['bench']);
  const identifier = { namespace: ['bench'], name };
  if (await catalog.tableExists(identifier)) await catalog.dropTable(identifier, { purge: true });
  const laidOut = layout.partitionSpec !== undefined || layout.sortOrder !== undefined;
  await catalog.createTable(identifier, {
    schema: { schemaId: 0, identifierFieldIds: [], fields: [...fields] },
    ...layout,
    properties: { 'format-version': '2', ...(laidOut ? {} : { 'write.target-file-size-bytes': String(256 * 1024 * 1024) }) },
  });
  return identifier;
}

/** Writes `rows` entity rows (driver_id, event_timestamp, request_id) over the 30 days to a Parquet file. */
export async function writeEntityRows(engine: Engine, rows: number, keys: number, file: string): Promise<void> {
  await engine.withConnection((connection) =>
    connection.run(
      `COPY (SELECT (hash(i, 'ek') % ${keys})::BIGINT AS driver_id, (${EPOCH} + to_microseconds((${START_US} + hash(i, 'et') % ${SPAN_US})::BIGINT)) AS event_timestamp, i AS request_id ` +
        `FROM range(${rows}) AS r(i) ORDER BY i) TO ${quoteLiteral(file)} (FORMAT parquet)`,
    ),
  );
}
