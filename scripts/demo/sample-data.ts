// The demo's sample data: a source table of driver statistics and a small Parquet file of entity
// rows to build a training set for. Values vary by driver and hour, reproducibly.
import path from 'node:path';
import type { Catalog, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { appendQuery } from '../../engine/write/append-query.js';
import type { Engine } from '../../engine/duckdb.js';
import { quoteIdentifier, quoteLiteral } from '../../engine/sql.js';
import { scanTable } from '../../engine/read/table-reader.js';
import { DRIVER_STATS_TABLE, driverStatsQuery } from '../../examples/init-template/sample-data.js';

export const DEMO_DRIVERS = { first: 1001, count: 50 } as const;
const HOUR = 3_600_000;

/** Creates the source table and appends one row per driver and hour over [start, until). */
export async function createDriverStats(request: {
  catalog: Catalog;
  engine: Engine;
  identifier: TableIdentifier;
  workDirectory: string;
  start: number;
  until: number;
}): Promise<{ rows: number; dataFiles: number; snapshotId: bigint | undefined }> {
  const { catalog, identifier, start } = request;
  await catalog.createNamespace(identifier.namespace);
  await catalog.createTable(identifier, DRIVER_STATS_TABLE);
  const hours = Math.floor((request.until - start) / HOUR);
  const result = await appendQuery({
    catalog,
    engine: request.engine,
    identifier,
    workDirectory: request.workDirectory,
    query: driverStatsQuery({ startMs: start, firstDriver: DEMO_DRIVERS.first, drivers: DEMO_DRIVERS.count, hours }),
  });
  return { rows: hours * DEMO_DRIVERS.count, dataFiles: result.dataFiles, snapshotId: result.snapshotId };
}

/** Writes entity rows (driver_id, event_timestamp) for drivers 1001–1005 at the given instants. */
export async function writeEntityRows(
  engine: Engine,
  directory: string,
  instants: readonly number[],
): Promise<{ file: string; rows: number }> {
  const file = path.join(directory, 'driver_entities.parquet');
  const times = instants.map((instant) => `(to_timestamp(${instant / 1000}))`).join(', ');
  await engine.withConnection((connection) =>
    connection.run(`
      COPY (SELECT driver_id, event_timestamp FROM range(1001, 1006) AS drivers(driver_id), (VALUES ${times}) AS times(event_timestamp) ORDER BY event_timestamp, driver_id)
      TO ${quoteLiteral(file)} (FORMAT parquet)`),
  );
  return { file, rows: 5 * instants.length };
}

/** The first rows of a table's current snapshot, JSON-friendly, for printing. */
export async function firstRows(
  catalog: Catalog,
  engine: Engine,
  identifier: TableIdentifier,
  orderBy: readonly string[],
  limit: number,
): Promise<Record<string, unknown>[]> {
  const { sql } = await scanTable(await catalog.loadTable(identifier));
  return engine.withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(
      `SELECT * FROM (${sql}) ORDER BY ${orderBy.map(quoteIdentifier).join(', ')} LIMIT ${limit}`,
    );
    // bigint as a number and timestamps as text, so console.table shows them plainly.
    return reader
      .getRowObjects()
      .map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([name, value]) => [
            name,
            typeof value === 'bigint' ? Number(value) : typeof value === 'number' || value === null ? value : String(value),
          ]),
        ),
      );
  });
}
