/**
 * `--entities-csv`: entity rows from a CSV file (a header line, then rows), turned into the Parquet
 * file the training-set workflow reads, as entityCsvSql reads it: the types DuckDB detects, string
 * and integer join keys as text, the timestamp column as TIMESTAMPTZ in a UTC session. The Parquet
 * file is named by the CSV's content, the timestamp column and the key columns, under the
 * project's `.floe/entities/`: running the same command again gives the workflow the same input.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../engine/duckdb.js';
import { duckdbErrorReason, quoteLiteral } from '../engine/sql.js';
import { FloeError } from '../core/errors.js';
import { csvHeaderProblem } from '../engine/csv.js';
import { entityCsvSql, isTextKeyType } from '../features/historical/entity-csv.js';
import type { Registry } from '../features/registry.js';

export async function entitiesCsvAsParquet(
  engine: Engine,
  csvFile: string,
  options: { timestampColumn: string; stateDirectory: string; keyColumns: ReadonlySet<string> },
): Promise<string> {
  const file = path.resolve(csvFile);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new FloeError('not-found', `The entity CSV file ${csvFile} does not exist or cannot be read`, {
      context: { file: csvFile, field: '--entities-csv' },
    });
  }
  const digest = createHash('sha256')
    .update(JSON.stringify([options.timestampColumn, ...[...options.keyColumns].sort()]))
    .update('\0')
    .update(bytes)
    .digest('hex')
    .slice(0, 32);
  const directory = path.join(options.stateDirectory, 'entities');
  await mkdir(directory, { recursive: true });
  const target = path.join(directory, `${digest}.parquet`);
  await engine.withConnection(async (connection) => {
    const described = await run(() => connection.runAndReadAll(`DESCRIBE SELECT * FROM ${entityCsvSql(file)}`), csvFile);
    const columns = described.getRows().map((row) => String(row[0]));
    const headerProblem = await csvHeaderProblem(connection, file);
    if (headerProblem !== undefined)
      throw new FloeError('invalid-input', `The entity CSV file ${csvFile} cannot be read as entity rows: ${headerProblem}`, {
        context: { file: csvFile, field: '--entities-csv' },
      });
    if (!columns.includes(options.timestampColumn)) {
      throw new FloeError(
        'invalid-input',
        `The entity CSV file ${csvFile} has no timestamp column ${JSON.stringify(options.timestampColumn)}; its header names ${columns.map((name) => JSON.stringify(name)).join(', ')}. Name it with --timestamp-column`,
        { context: { file: csvFile, column: options.timestampColumn, field: '--entities-csv' } },
      );
    }
    const typed = entityCsvSql(file, { columns, keyColumns: options.keyColumns, timestampColumn: options.timestampColumn });
    const partial = `${target}.${process.pid}.partial`;
    await run(
      () => connection.run(`COPY (SELECT * FROM ${typed}) TO ${quoteLiteral(partial)} (FORMAT parquet)`),
      csvFile,
      options.timestampColumn,
    );
    await rename(partial, target);
  });
  return target;
}

/** Every entity's string and integer join keys: a CSV column named as one is read as its text (see isTextKeyType). */
export function textKeyColumns(registry: Registry): Set<string> {
  return new Set(
    [...registry.entities.values()].flatMap((entity) => entity.joinKeys.filter((key) => isTextKeyType(key.type)).map((key) => key.name)),
  );
}

async function run<T>(query: () => Promise<T>, csvFile: string, timestampColumn?: string): Promise<T> {
  try {
    return await query();
  } catch (error) {
    const reason = duckdbErrorReason(error);
    const column = timestampColumn === undefined ? '' : ` (its column ${JSON.stringify(timestampColumn)} must hold ISO 8601 instants)`;
    throw new FloeError('invalid-input', `The entity CSV file ${csvFile} cannot be read as entity rows${column}: ${reason}`, {
      context: { file: csvFile, field: '--entities-csv' },
      cause: error,
    });
  }
}
