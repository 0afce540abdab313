import { z } from 'zod';
import { parse } from './definitions.js';
import { identifierSchema, tableIdentifierSchema } from './names.js';
import { AVRO_FRAMINGS, avroSchemaProblem } from './stream-avro-schema.js';

/**
 * Avro values: `schema` is the writer's record schema (an object, or its JSON text, kept as the
 * object); `framing` says whether values are raw Avro binary, the Confluent wire format (byte 0, a
 * 4-byte schema id, then the Avro body; the id is not looked up), or either (`auto`, the default).
 */
const avroFormatSchema = z
  .object({
    avro: z
      .object({
        schema: z.union([z.string(), z.record(z.string(), z.unknown())]),
        framing: z.enum(AVRO_FRAMINGS).default('auto'),
      })
      .strict(),
  })
  .strict();

/**
 * A stream source: a Kafka topic whose messages `floe stream` lands, exactly once, where a push to
 * its push source would go: the push source's batch source table, and online into the feature
 * views fed by the push source. Each message's value is one row: a JSON object, or an Avro record
 * of the definition's schema; `fieldMapping` renames its fields to the table's columns. A message that is not such an object, or whose values
 * do not fit the table's columns, goes to the dead-letter table with its offset and the reason.
 */
const streamSourceSchema = z
  .object({
    name: identifierSchema,
    /** The push source (definePushSource) whose batch source table and fed views the stream's rows go to. */
    pushSource: identifierSchema,
    kafka: z
      .object({
        /** Bootstrap brokers, `host:port`; `floe stream --brokers` overrides them. */
        brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port')).min(1),
        topic: z.string().min(1).max(249),
        /** The consumer group (default: see defaultGroupId); offsets are read from the tables, never from the group. */
        groupId: z.string().min(1).optional(),
      })
      .strict(),
    /** `'json'` (one JSON object a message) or `{ avro: { schema, framing? } }` (one Avro record a message). */
    format: z.union([z.literal('json'), avroFormatSchema]).default('json'),
    /** Message field → table column, for fields whose name is not the column's. */
    fieldMapping: z.record(z.string().min(1), z.string().min(1)).optional(),
    /** The message field holding the event time (default: the field named as the batch source's timestampField column). */
    timestampField: z.string().min(1).optional(),
    /** The Iceberg table (`namespace.table`) bad messages go to (default: `<batch table's namespace>.<name>_dead_letters`). */
    deadLetterTable: tableIdentifierSchema.optional(),
    batch: z
      .object({
        maxRows: z.number().int().positive().max(1_000_000).default(10_000),
        maxDelayMs: z.number().int().positive().max(3_600_000).default(1_000),
      })
      .strict()
      .default({ maxRows: 10_000, maxDelayMs: 1_000 }),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .transform((definition, context) => {
    const { format } = definition;
    if (format === 'json') return { ...definition, format };
    // Checked when the definitions load; a schema given as JSON text is kept as the object.
    let schema: unknown = format.avro.schema;
    if (typeof schema === 'string')
      try {
        schema = JSON.parse(schema);
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['format', 'avro', 'schema'], message: `not JSON: ${(error as Error).message}` });
        return z.NEVER;
      }
    const problem = avroSchemaProblem(schema);
    if (problem !== undefined) {
      context.addIssue({ code: 'custom', path: ['format', 'avro', 'schema'], message: problem });
      return z.NEVER;
    }
    return { ...definition, format: { avro: { ...format.avro, schema: schema as Record<string, unknown> } } };
  });

export type StreamSourceDefinition = z.infer<typeof streamSourceSchema> & { readonly kind: 'streamSource' };

/** An Avro stream's format: the writer's record schema (parsed) and how values are framed. */
export type AvroStreamFormat = Exclude<StreamSourceDefinition['format'], 'json'>['avro'];

export function defineStreamSource(input: z.input<typeof streamSourceSchema>): StreamSourceDefinition {
  return { kind: 'streamSource', ...parse(streamSourceSchema, input, 'stream source') };
}
