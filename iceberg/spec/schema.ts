import { FloeError } from '../../core/errors.js';
import type { IcebergType, NestedField } from './types.js';

/** A table schema: a struct of fields identified by id, not by name (spec: "Schema Evolution"). */
export interface Schema {
  readonly schemaId: number;
  readonly identifierFieldIds: readonly number[];
  readonly fields: readonly NestedField[];
}

/** Every field of a schema, nested ones included, by id. */
export function indexFieldsById(schema: Schema): ReadonlyMap<number, NestedField> {
  const index = new Map<number, NestedField>();
  const visit = (type: IcebergType): void => {
    if (typeof type === 'string') return;
    if (type.type === 'struct') {
      for (const field of type.fields) {
        index.set(field.id, field);
        visit(field.type);
      }
    } else if (type.type === 'list') {
      index.set(type.elementId, { id: type.elementId, name: 'element', required: type.elementRequired, type: type.element });
      visit(type.element);
    } else {
      index.set(type.keyId, { id: type.keyId, name: 'key', required: true, type: type.key });
      index.set(type.valueId, { id: type.valueId, name: 'value', required: type.valueRequired, type: type.value });
      visit(type.key);
      visit(type.value);
    }
  };
  visit({ type: 'struct', fields: schema.fields });
  return index;
}

export function findField(schema: Schema, fieldId: number): NestedField | undefined {
  return indexFieldsById(schema).get(fieldId);
}

/** A top-level column by name, or a clear error naming the table's columns. */
export function requireColumn(schema: Schema, name: string, tableName: string): NestedField {
  const field = schema.fields.find((candidate) => candidate.name === name);
  if (!field) {
    throw new FloeError(
      'invalid-input',
      `Column ${JSON.stringify(name)} does not exist in table ${tableName}; its columns are ${schema.fields.map((f) => f.name).join(', ')}`,
      {
        context: { table: tableName, column: name },
      },
    );
  }
  return field;
}

export function highestFieldId(schema: Schema): number {
  let highest = 0;
  for (const id of indexFieldsById(schema).keys()) highest = Math.max(highest, id);
  return highest;
}
