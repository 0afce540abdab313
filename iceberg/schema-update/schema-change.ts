/**
 * A schema change as a TableChange: computed afresh from the table's current schema on every attempt
 * (so it replays onto a schema someone else changed meanwhile, taking new field ids after theirs),
 * committed as `add-schema` + `set-current-schema` under `assert-current-schema-id` and
 * `assert-last-assigned-field-id`, so two schema changes never interleave.
 */
import type { LoadedTable } from '../catalog/catalog.js';
import { formatTableIdentifier } from '../catalog/identifier.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import { LAST_ADDED } from '../table-updates/apply-updates.js';
import { FloeError } from '../../core/errors.js';
import { currentSchema } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/metadata.js';
import { highestFieldId } from '../spec/schema.js';
import type { Schema } from '../spec/schema.js';
import type { IcebergType, NestedField, StructType } from '../spec/types.js';

export interface SchemaEdit {
  readonly fields: readonly NestedField[];
  /** Field ids handed out by this edit: the table's last column id becomes the highest of them. */
  readonly lastColumnId: number;
}

export function schemaChange(
  description: string,
  edit: (schema: Schema, metadata: TableMetadata, table: string) => SchemaEdit,
): TableChange {
  return {
    description,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      const schema = currentSchema(base.metadata);
      return schemaEditCommit(base.metadata, edit(schema, base.metadata, formatTableIdentifier(base.identifier)));
    },
  };
}

/** The edit of the table's current schema as the next schema, made current, under the requirements above. */
export function schemaEditCommit(metadata: TableMetadata, edit: SchemaEdit): PreparedChange {
  const schema = currentSchema(metadata);
  const next: Schema = {
    schemaId: Math.max(...metadata.schemas.map((candidate) => candidate.schemaId)) + 1,
    identifierFieldIds: schema.identifierFieldIds,
    fields: edit.fields,
  };
  const lastColumnId = Math.max(metadata.lastColumnId, edit.lastColumnId, highestFieldId(next));
  return {
    requirements: [
      { type: 'assert-current-schema-id', currentSchemaId: schema.schemaId },
      { type: 'assert-last-assigned-field-id', lastAssignedFieldId: metadata.lastColumnId },
    ],
    updates: [
      { action: 'add-schema', schema: next, lastColumnId },
      { action: 'set-current-schema', schemaId: LAST_ADDED },
    ],
  };
}

/** A column's path: a top-level name, or each name from a top-level struct column down. */
export type ColumnPath = string | readonly string[];

export function pathNames(path: ColumnPath): readonly string[] {
  return typeof path === 'string' ? [path] : path;
}

export function describePath(path: ColumnPath): string {
  return pathNames(path).join('.');
}

/**
 * Replaces the fields of the struct at `parentPath` (the top level when empty) by `update(fields)`,
 * failing clearly when a name on the way is missing or not a struct.
 */
export function updateStructAt(
  fields: readonly NestedField[],
  parentPath: readonly string[],
  table: string,
  update: (fields: readonly NestedField[], where: string) => NestedField[],
): NestedField[] {
  if (parentPath.length === 0) return update(fields, `table ${table}`);
  const [head, ...rest] = parentPath as [string, ...string[]];
  const index = fields.findIndex((field) => field.name === head);
  const field = fields[index];
  if (field === undefined) {
    throw new FloeError(
      'invalid-input',
      `Column ${JSON.stringify(head)} does not exist in table ${table}; its columns at this level are ${fields.map((f) => f.name).join(', ') || '(none)'}`,
      {
        context: { table, column: head },
      },
    );
  }
  if (typeof field.type === 'string' || field.type.type !== 'struct') {
    throw new FloeError(
      'invalid-input',
      `Column ${JSON.stringify(head)} of table ${table} is ${typeof field.type === 'string' ? field.type : `a ${field.type.type}`}, not a struct: it has no fields to change`,
      {
        context: { table, column: head },
      },
    );
  }
  const struct: StructType = field.type;
  const inner = updateStructAt(struct.fields, rest, table, update);
  const out = [...fields];
  out[index] = { ...field, type: { type: 'struct', fields: inner } };
  return out;
}

/** The type with fresh field ids for everything nested in it, from `next()`, in the order Java assigns them. */
export function withFreshIds(type: IcebergType, next: () => number): IcebergType {
  if (typeof type === 'string') return type;
  if (type.type === 'struct') {
    const ids = type.fields.map(() => next());
    return {
      type: 'struct',
      fields: type.fields.map((field, index) => ({ ...field, id: ids[index]!, type: withFreshIds(field.type, next) })),
    };
  }
  if (type.type === 'list') {
    const elementId = next();
    return { ...type, elementId, element: withFreshIds(type.element, next) };
  }
  const keyId = next();
  const valueId = next();
  return { ...type, keyId, valueId, key: withFreshIds(type.key, next), value: withFreshIds(type.value, next) };
}
