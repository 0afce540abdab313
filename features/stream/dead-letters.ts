import type { LoadedTable, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { createTableEnsuringNamespace } from '../../iceberg/catalog/create-table.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import type { FeatureContext } from '../context.js';
import type { BatchRequest, TableTarget } from '../push/push-commit.js';
import type { StreamSourceDefinition } from '../stream-source.js';

/** A message the stream could not land: where it was, what it held, and why. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
  readonly reason: string;
  readonly receivedAt: Date;
}

/** The dead-letter table's columns, in this order. */
export const DEAD_LETTER_FIELDS: readonly NestedField[] = [
  { id: 1, name: 'topic', type: 'string', required: true },
  { id: 2, name: 'partition', type: 'int', required: true },
  { id: 3, name: 'offset', type: 'long', required: true },
  { id: 4, name: 'key', type: 'string', required: false },
  { id: 5, name: 'value', type: 'string', required: false },
  { id: 6, name: 'reason', type: 'string', required: true },
  { id: 7, name: 'received_at', type: 'timestamptz', required: true },
];

/** The stream's dead-letter table: its `deadLetterTable`, else `<the batch table's namespace>.<stream>_dead_letters`. */
export function deadLetterIdentifier(stream: StreamSourceDefinition, batchTable: string): TableIdentifier {
  if (stream.deadLetterTable !== undefined) return parseTableIdentifier(stream.deadLetterTable);
  return { namespace: parseTableIdentifier(batchTable).namespace, name: `${stream.name}_dead_letters` };
}

/** The dead-letter table as a target of stream commits, created (with its namespace) the first time. */
export function deadLetterTarget(context: FeatureContext, identifier: TableIdentifier): TableTarget {
  return {
    identifier,
    load: () => ensureDeadLetterTable(context, identifier),
    query: (rows) => `SELECT * FROM ${rows} AS s`,
    online: false,
  };
}

/** One staged request per dead letter, its values as text as checked rows are. */
export function deadLetterRequests(letters: readonly DeadLetter[]): BatchRequest[] {
  return letters.map((letter) => {
    const values = [
      letter.topic,
      String(letter.partition),
      letter.offset.toString(),
      letter.key,
      letter.value,
      letter.reason,
      letter.receivedAt.toISOString(),
    ];
    return { rows: { rows: 1, columns: DEAD_LETTER_FIELDS.map((field, index) => ({ field, values: [values[index] ?? null] })) } };
  });
}

async function ensureDeadLetterTable(context: FeatureContext, identifier: TableIdentifier): Promise<LoadedTable> {
  if (await context.catalog.tableExists(identifier)) return context.catalog.loadTable(identifier);
  try {
    return await createTableEnsuringNamespace(context.catalog, identifier, {
      schema: { schemaId: 0, identifierFieldIds: [], fields: DEAD_LETTER_FIELDS },
      formatVersion: context.registry.tableFormatVersion,
    });
  } catch (error) {
    if (FloeError.is(error, 'already-exists')) return context.catalog.loadTable(identifier);
    throw error;
  }
}
