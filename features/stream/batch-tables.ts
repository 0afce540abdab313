import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { FeatureContext } from '../context.js';
import type { TableTarget } from '../push/push-commit.js';
import { pushTargets, requiredPushColumns } from '../push/push-targets.js';
import type { StreamSourceDefinition } from '../stream-source.js';
import { deadLetterIdentifier, deadLetterTarget } from './dead-letters.js';
import { avroDecoder } from './stream-avro.js';
import type { MessageShape } from './stream-rows.js';

/** The tables a stream's batches land in, and how a message becomes a row. */
export interface BatchTables {
  readonly shape: MessageShape;
  readonly rowTables: readonly TableTarget[];
  /** The batch source's table, one of rowTables. */
  readonly sourceTable: TableTarget;
  /** The batch source table's Iceberg UUID (a default consumer group is named by it). */
  readonly sourceTableUuid: string;
  readonly deadLetters: TableTarget;
}

export async function batchTables(context: FeatureContext, stream: StreamSourceDefinition): Promise<BatchTables> {
  const { registry, catalog } = context;
  const push = registry.pushSourceOf(stream);
  const source = registry.batchSourceOf(push);
  const { metadata } = await catalog.loadTable(parseTableIdentifier(source.table));
  const fields = currentSchema(metadata).fields;
  const table = { fields, required: requiredPushColumns(registry, push, fields), timestampColumn: source.timestampField };
  const { format } = stream;
  // An Avro schema that does not fit the table is refused here, before the consumer joins the group.
  const shape: MessageShape = {
    stream,
    ...table,
    ...(format === 'json' ? {} : { avro: avroDecoder(stream, format.avro, table) }),
  };
  const targets = pushTargets(context, push, fields);
  const rowTables = targets.map(({ target }) => target);
  // The offline target is the batch source's table: the one every row of the stream goes to.
  const sourceTable = rowTables.find((target) => !target.online)!;
  return {
    shape,
    rowTables,
    sourceTable,
    sourceTableUuid: metadata.tableUuid,
    deadLetters: deadLetterTarget(context, deadLetterIdentifier(stream, source.table)),
  };
}
