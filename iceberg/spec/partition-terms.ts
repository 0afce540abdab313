/**
 * Partition fields as people write them (Spark's and Trino's DDL, pyiceberg's docs):
 * `day(event_timestamp)`, `bucket(16, driver_id)`, `truncate(4, name)`, `identity(country)` or a
 * bare column name, turned into a partition spec over a schema's top-level columns. Fields are
 * named as Java's PartitionSpec.Builder names them (`event_timestamp_day`, `driver_id_bucket`, …).
 */
import { FloeError } from '../../core/errors.js';
import { PARTITION_DATA_ID_START } from './partition-json.js';
import type { PartitionSpec } from './partition.js';
import type { Schema } from './schema.js';
import { parseTransform } from './transforms.js';

/** One partition field as written: the column and the transform in the spec's spelling (`bucket[16]`). */
export interface PartitionTerm {
  readonly column: string;
  readonly transform: string;
}

const NO_PARAMETER = new Set(['identity', 'year', 'month', 'day', 'hour', 'void']);
const NAME_SUFFIX: Readonly<Record<string, string>> = {
  bucket: '_bucket',
  truncate: '_trunc',
  year: '_year',
  month: '_month',
  day: '_day',
  hour: '_hour',
  void: '_null',
};

export function parsePartitionTerm(text: string): PartitionTerm {
  const trimmed = text.trim();
  if (/^[^(),\s]+$/.test(trimmed)) return { column: trimmed, transform: 'identity' };
  const call = /^(\w+)\s*\(\s*(?:(\d+)\s*,\s*)?([^(),\s]+)\s*\)$/.exec(trimmed);
  const kind = call?.[1]?.toLowerCase();
  const parameter = call?.[2];
  const withParameter = kind === 'bucket' || kind === 'truncate';
  if (call === null || kind === undefined || (!withParameter && !NO_PARAMETER.has(kind)) || withParameter !== (parameter !== undefined))
    throw new FloeError(
      'invalid-input',
      `Partition field ${JSON.stringify(text)} is not one Floe reads: write identity(col) (or col), year(col), month(col), day(col), hour(col), bucket(N, col), truncate(W, col) or void(col)`,
      { context: { field: '--partition', transform: text } },
    );
  try {
    return { column: call[3]!, transform: parseTransform(parameter === undefined ? kind : `${kind}[${parameter}]`).name };
  } catch (error) {
    if (!FloeError.is(error)) throw error;
    throw new FloeError('invalid-input', `Partition field ${JSON.stringify(text)}: ${error.detail}`, {
      context: { field: '--partition', transform: text },
      cause: error,
    });
  }
}

/** A partition spec (id 0) of `terms` over the schema's top-level columns; `table` names the table in errors. */
export function partitionSpecFromTerms(schema: Schema, terms: readonly PartitionTerm[], table: string): PartitionSpec {
  const names = new Set<string>();
  const fields = terms.map((term, index) => {
    const source = schema.fields.find((field) => field.name === term.column);
    if (source === undefined)
      throw new FloeError(
        'invalid-input',
        `Cannot partition ${table} by ${describePartitionTerm(term)}: it has no column ${JSON.stringify(term.column)}; its columns are ${schema.fields.map((field) => field.name).join(', ')}`,
        { context: { table, column: term.column } },
      );
    const transform = parseTransform(term.transform);
    if (!transform.canTransform(source.type))
      throw new FloeError(
        'invalid-input',
        `Cannot partition ${table} by ${describePartitionTerm(term)}: column ${term.column} is ${typeof source.type === 'string' ? source.type : source.type.type}, which ${transform.kind} does not take`,
        { context: { table, column: term.column, transform: term.transform } },
      );
    const name = `${term.column}${NAME_SUFFIX[transform.kind] ?? ''}`;
    if (names.has(name))
      throw new FloeError('invalid-input', `Cannot partition ${table} by ${describePartitionTerm(term)} twice`, {
        context: { table, column: term.column },
      });
    names.add(name);
    return { sourceId: source.id, fieldId: PARTITION_DATA_ID_START + index, name, transform: transform.name };
  });
  return { specId: 0, fields };
}

/** The terms of a spec over a schema, as `partitionSpecFromTerms` takes them. */
export function partitionTermsOf(spec: PartitionSpec, schema: Schema): PartitionTerm[] {
  return spec.fields.map((field) => ({
    column: schema.fields.find((column) => column.id === field.sourceId)?.name ?? `#${field.sourceId}`,
    transform: field.transform,
  }));
}

/** `day(event_timestamp)`, `bucket(16, driver_id)`: a term as users write it. */
export function describePartitionTerm(term: PartitionTerm): string {
  const parameterized = /^(\w+)\[(\d+)\]$/.exec(term.transform);
  return parameterized === null ? `${term.transform}(${term.column})` : `${parameterized[1]}(${parameterized[2]}, ${term.column})`;
}
