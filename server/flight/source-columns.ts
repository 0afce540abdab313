import * as arrow from 'apache-arrow';
import { FloeError } from '../../core/errors.js';
import type { FeatureContext } from '../../features/context.js';
import type { IcebergSourceDefinition } from '../../features/definitions.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { IcebergType } from '../../iceberg/spec/types.js';
import type { FeastCommand } from './feast-command.js';

/**
 * Feast's `validate_data_source` and `get_table_column_names_and_types_from_data_source`, which
 * send the data source as its proto in JSON (`data_source_proto`): Floe answers for its own source
 * of the same name, over that source's Iceberg table.
 */
export function feastDataSource(context: FeatureContext, command: FeastCommand): IcebergSourceDefinition {
  const text = command.parameters.data_source_proto;
  let name: unknown;
  try {
    name = typeof text === 'string' ? (JSON.parse(text) as { name?: unknown }).name : undefined;
  } catch {
    name = undefined;
  }
  if (typeof name !== 'string')
    throw new FloeError('invalid-input', `Feast's ${command.api} command needs data_source_proto as a data source in JSON, with its name`, {
      context: { field: 'data_source_proto' },
    });
  return registeredSource(context, name);
}

/** The source Feast names, as Floe's registry defines it. */
export function registeredSource(context: FeatureContext, name: string): IcebergSourceDefinition {
  const source = context.registry.sources.get(name);
  if (source === undefined)
    throw new FloeError(
      'not-found',
      `Data source ${name} is not defined in Floe's registry; defined: ${[...context.registry.sources.keys()].sort().join(', ') || 'none'}`,
      { context: { source: name } },
    );
  return source;
}

/** A source is valid when its table exists and has its timestamp (and created timestamp) columns. */
export async function validateSource(context: FeatureContext, source: IcebergSourceDefinition): Promise<void> {
  const names = (await sourceFields(context, source)).map((field) => field.name);
  for (const column of [source.timestampField, source.createdTimestampField]) {
    if (column !== undefined && !names.includes(column))
      throw new FloeError(
        'invalid-input',
        `Data source ${source.name}: its table ${source.table} has no column ${column}; its columns are ${names.join(', ')}`,
        {
          context: { source: source.name, column },
        },
      );
  }
}

/** The source table's columns and their types, as pyarrow names them (what Feast's file sources map to its value types). */
export async function sourceColumnsTable(context: FeatureContext, source: IcebergSourceDefinition): Promise<arrow.Table> {
  const fields = await sourceFields(context, source);
  return new arrow.Table({
    name: arrow.vectorFromArray(
      fields.map((field) => field.name),
      new arrow.Utf8(),
    ),
    type: arrow.vectorFromArray(
      fields.map((field) => pyarrowTypeName(field.type)),
      new arrow.Utf8(),
    ),
  });
}

async function sourceFields(context: FeatureContext, source: IcebergSourceDefinition) {
  const table = await context.catalog.loadTable(parseTableIdentifier(source.table));
  return currentSchema(table.metadata).fields;
}

/** pyarrow's name of the Arrow type an Iceberg type reads as. */
export function pyarrowTypeName(type: IcebergType): string {
  if (typeof type !== 'string') {
    if (type.type === 'list') return `list<element: ${pyarrowTypeName(type.element)}>`;
    if (type.type === 'map') return `map<${pyarrowTypeName(type.key)}, ${pyarrowTypeName(type.value)}>`;
    return `struct<${type.fields.map((field) => `${field.name}: ${pyarrowTypeName(field.type)}`).join(', ')}>`;
  }
  const named: Record<string, string> = {
    boolean: 'bool',
    int: 'int32',
    long: 'int64',
    float: 'float',
    double: 'double',
    date: 'date32[day]',
    time: 'time64[us]',
    timestamp: 'timestamp[us]',
    timestamptz: 'timestamp[us, tz=UTC]',
    timestamp_ns: 'timestamp[ns]',
    timestamptz_ns: 'timestamp[ns, tz=UTC]',
    string: 'string',
    uuid: 'fixed_size_binary[16]',
    binary: 'binary',
    unknown: 'null',
  };
  if (named[type] !== undefined) return named[type];
  const decimal = /^decimal\((\d+), *(\d+)\)$/.exec(type);
  if (decimal) return `decimal128(${decimal[1]}, ${decimal[2]})`;
  const fixed = /^fixed\[(\d+)\]$/.exec(type);
  if (fixed) return `fixed_size_binary[${fixed[1]}]`;
  return type;
}
