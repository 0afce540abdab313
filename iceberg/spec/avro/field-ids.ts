/**
 * Reading Avro records by Iceberg field id rather than by name: writers name records and fields
 * differently (Java `r102`, sanitized partition names), but the spec fixes the ids.
 */
import { FloeError } from '../../../core/errors.js';
import { isRecord } from '../../../core/is-record.js';

type Json = Record<string, unknown>;

const PRIMITIVES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

export interface AvroField {
  readonly name: string;
  /** The field's schema with a `["null", X]` union unwrapped to X. */
  readonly schema: unknown;
  readonly optional: boolean;
}

/** Named types of a schema by full and short name, to resolve references like `"r508"`. */
export function namedTypes(schema: unknown): ReadonlyMap<string, unknown> {
  const named = new Map<string, unknown>();
  const visit = (node: unknown, namespace: string | undefined): void => {
    if (Array.isArray(node)) {
      for (const branch of node) visit(branch, namespace);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const object = node as Json;
    let ns = namespace;
    if (typeof object.name === 'string' && (object.type === 'record' || object.type === 'fixed' || object.type === 'enum')) {
      ns =
        typeof object.namespace === 'string'
          ? object.namespace
          : object.name.includes('.')
            ? object.name.slice(0, object.name.lastIndexOf('.'))
            : namespace;
      const short = object.name.includes('.') ? object.name.slice(object.name.lastIndexOf('.') + 1) : object.name;
      named.set(short, object);
      if (ns) named.set(`${ns}.${short}`, object);
    }
    if (Array.isArray(object.fields)) for (const field of object.fields) visit((field as Json).type, ns);
    if (object.items !== undefined) visit(object.items, ns);
    if (object.values !== undefined) visit(object.values, ns);
    if (typeof object.type === 'object') visit(object.type, ns);
  };
  visit(schema, undefined);
  return named;
}

export function resolveSchema(schema: unknown, named: ReadonlyMap<string, unknown>): unknown {
  if (typeof schema === 'string' && !PRIMITIVES.has(schema)) return named.get(schema) ?? schema;
  if (isRecord(schema) && typeof schema.type === 'object') {
    return resolveSchema(schema.type, named);
  }
  return schema;
}

function unwrapOptional(schema: unknown, named: ReadonlyMap<string, unknown>): { schema: unknown; optional: boolean } {
  if (Array.isArray(schema)) {
    const branches = schema.filter((branch) => branch !== 'null');
    if (branches.length === 1) return { schema: resolveSchema(branches[0], named), optional: branches.length < schema.length };
  }
  return { schema: resolveSchema(schema, named), optional: false };
}

/** A record schema's fields by field id. */
export function fieldsById(recordSchema: unknown, named: ReadonlyMap<string, unknown>, location: string): ReadonlyMap<number, AvroField> {
  const record = resolveSchema(recordSchema, named) as Json;
  if (typeof record !== 'object' || record === null || record.type !== 'record' || !Array.isArray(record.fields)) {
    throw new FloeError('corrupt', `Expected an Avro record schema in ${location}`, { context: { file: location } });
  }
  const byId = new Map<number, AvroField>();
  for (const field of record.fields as Json[]) {
    const id = field['field-id'];
    if (typeof id !== 'number' || typeof field.name !== 'string') continue;
    byId.set(id, { name: field.name, ...unwrapOptional(field.type, named) });
  }
  return byId;
}

/** The element schema of an array schema (list or map-as-array). */
export function arrayItems(schema: unknown, named: ReadonlyMap<string, unknown>): unknown {
  const resolved = resolveSchema(schema, named) as Json;
  return unwrapOptional(resolved.items, named).schema;
}

/** A decoded record's value for a field id; undefined when the writer's schema lacks the field. */
export function valueOf(record: unknown, fields: ReadonlyMap<number, AvroField>, id: number): unknown {
  const field = fields.get(id);
  if (!field) return undefined;
  return (record as Json)[field.name];
}
