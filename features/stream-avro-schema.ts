// What a stream source's definition says of Avro, checked when the definition loads: kept apart
// from the decoder (stream-avro.ts), which reads the definition's types.
import { avroType } from '../iceberg/spec/avro/long.js';
import { isRecord } from '../core/is-record.js';

/** How an Avro value may be framed: raw, in the Confluent wire format, or either (told apart per message). */
export const AVRO_FRAMINGS = ['auto', 'raw', 'confluent'] as const;

/** Why `schema` is not an Avro record schema avsc reads, or undefined when it is one. Checked when the definition loads. */
export function avroSchemaProblem(schema: unknown): string | undefined {
  if (!isRecord(schema) || schema.type !== 'record') return 'must be an Avro record schema ({"type": "record", "name": …, "fields": […]})';
  try {
    avroType(schema);
  } catch (error) {
    return `is not a valid Avro schema: ${(error as Error).message}`;
  }
  return undefined;
}
