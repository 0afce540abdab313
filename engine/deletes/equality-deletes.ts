/**
 * Equality deletes: rows of a query, holding values of some columns, become equality delete files
 * (partitioned by the table's default spec) that delete every older row whose values in those
 * columns are equal (null equal to null). How writers such as Flink make merge-on-read tables; Floe
 * uses it to make such tables for tests and fixtures. Nothing is committed here.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { TableChange } from '../../iceberg/commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import { dataFileMetrics } from '../../iceberg/spec/metrics.js';
import { requireColumn } from '../../iceberg/spec/schema.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import { MAIN_BRANCH } from '../../iceberg/spec/snapshot.js';
import { partitionPath } from '../../iceberg/spec/transforms.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import { defaultSpec, writeAddedManifest } from '../../iceberg/write/added-manifest.js';
import { rowDelta } from '../../iceberg/write/row-delta.js';
import { dataDirectory } from '../../iceberg/write/table-locations.js';
import type { Engine } from '../duckdb.js';
import { writeParquet } from '../write/parquet-writer.js';
import { partitionColumnsSql, withPartitionColumns } from '../write/partition-sql.js';
import { quoteIdentifier as q } from '../sql.js';
import { defined } from '../../contracts/defined.js';

export interface EqualityDeletesRequest {
  readonly engine: Engine;
  /** The equality columns (top-level, primitive): a row is deleted when it equals a delete row in all of them. */
  readonly columns: readonly string[];
  /**
   * SQL giving the delete rows: the equality columns by name, plus the source columns of the
   * table's partition fields when those are not among them (to place each delete in its partition).
   */
  readonly query: string;
  readonly workDirectory: string;
  readonly branch?: string;
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

export interface EqualityDeletes {
  /** The change to commit; null when the query gave no rows. */
  readonly change: TableChange | null;
  readonly deleteFiles: readonly DataFile[];
}

export async function appendEqualityDeletes(table: LoadedTable, request: EqualityDeletesRequest): Promise<EqualityDeletes> {
  const name = formatTableIdentifier(table.identifier);
  if (table.metadata.formatVersion < 2)
    throw new FloeError('unsupported', `Table ${name} is format v1, which has no delete files`, { context: { table: name } });
  if (request.columns.length === 0)
    throw new FloeError('invalid-input', `Equality deletes on table ${name} need at least one equality column`, {
      context: { table: name },
    });
  const schema = currentSchema(table.metadata);
  const spec = defaultSpec(table);
  const equalityFields = request.columns.map((column) => primitiveColumn(schema, column, name, 'an equality column'));
  const written: NestedField[] = [...equalityFields];
  for (const field of spec.fields) {
    const source = schema.fields.find((candidate) => candidate.id === field.sourceId);
    if (!source)
      throw new FloeError(
        'unsupported',
        `Partition field ${field.name} of table ${name} has a nested source column: equality deletes cannot be placed in its partitions yet`,
        { context: { table: name } },
      );
    if (!written.some((candidate) => candidate.id === source.id)) written.push(source);
  }
  const writeSchema: Schema = { schemaId: schema.schemaId, identifierFieldIds: [], fields: written };
  const partitionColumns = partitionColumnsSql(spec, writeSchema);
  const projected = `SELECT ${written.map((field) => q(field.name)).join(', ')} FROM (${request.query}) AS ${q('__floe_equality')}`;

  const prefix = `eq-delete-${randomUUID()}`;
  const scratch = join(request.workDirectory, 'scratch', prefix);
  await mkdir(scratch, { recursive: true });
  try {
    const files = await request.engine.withConnection(
      (connection) =>
        writeParquet(connection, {
          query: withPartitionColumns(projected, partitionColumns),
          schema: writeSchema,
          directory: scratch,
          partitionColumns,
          fileNamePrefix: prefix,
        }),
      defined({ signal: request.signal }),
    );
    if (files.length === 0) return { change: null, deleteFiles: [] };
    const deleteFiles: DataFile[] = [];
    for (const file of files) {
      const folder =
        spec.fields.length === 0 ? dataDirectory(table) : `${dataDirectory(table)}/${partitionPath(spec, schema, file.partition)}`;
      const location = `${folder}/${basename(file.localPath)}`;
      await table.io.upload(file.localPath, location, { ifAbsent: true });
      deleteFiles.push({
        content: 'equality-deletes',
        filePath: location,
        fileFormat: 'PARQUET',
        partition: file.partition,
        recordCount: file.recordCount,
        fileSizeInBytes: file.sizeBytes,
        ...dataFileMetrics(writeSchema, file.columnStats, table.metadata.properties),
        equalityIds: equalityFields.map((field) => field.id),
      });
    }
    const manifest = await writeAddedManifest(table, deleteFiles, prefix, { specId: spec.specId, content: 'deletes' });
    const change = rowDelta(
      { deletes: [manifest] },
      {
        branch: request.branch ?? MAIN_BRANCH,
        ...defined({ idempotencyKey: request.idempotencyKey }),
      },
    );
    return { change, deleteFiles };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function primitiveColumn(schema: Schema, column: string, table: string, role: string): NestedField {
  const field = requireColumn(schema, column, table);
  if (typeof field.type !== 'string') {
    throw new FloeError(
      'invalid-input',
      `Column ${JSON.stringify(column)} of table ${table} is a ${field.type.type}; ${role} must be of a primitive type`,
      { context: { table, column } },
    );
  }
  if (field.type === 'float' || field.type === 'double') {
    throw new FloeError(
      'invalid-input',
      `Column ${JSON.stringify(column)} of table ${table} is ${field.type}; ${role} cannot be a floating-point column (NaN and -0.0 make equality ambiguous)`,
      {
        context: { table, column },
      },
    );
  }
  return field;
}
