import { FloeError } from '../../core/errors.js';
import type { IcebergType, NestedField, UnreadableType } from '../../iceberg/spec/types.js';
import { initialDefaultText } from './initial-defaults.js';

const UNREADABLE = /^(variant|geometry|geography)\b/;

/** The v3 type Floe cannot read (variant, geometry, geography) that a column's type is or holds, if any. */
export function unreadableTypeIn(type: IcebergType): UnreadableType | undefined {
  if (typeof type === 'string') return UNREADABLE.test(type) ? (type as UnreadableType) : undefined;
  switch (type.type) {
    case 'struct':
      for (const field of type.fields) {
        const found = unreadableTypeIn(field.type);
        if (found !== undefined) return found;
      }
      return undefined;
    case 'list':
      return unreadableTypeIn(type.element);
    case 'map':
      return unreadableTypeIn(type.key) ?? unreadableTypeIn(type.value);
  }
}

/**
 * Refuses, by table, column and type, a read that asks for a column Floe cannot read, or whose
 * initial-default does not fit its type. A table that holds such columns is no obstacle otherwise:
 * reads that leave them out never touch them.
 */
export function requireReadableColumns(fields: readonly NestedField[], table: string | undefined): void {
  for (const field of fields) {
    const type = unreadableTypeIn(field.type);
    if (type === undefined) {
      initialDefaultText(field, table);
      continue;
    }
    const of = table === undefined ? '' : ` of table ${table}`;
    const has = type === field.type ? 'has type' : 'holds a field of type';
    throw new FloeError(
      'unsupported',
      `Column ${JSON.stringify(field.name)}${of} ${has} ${type}, which Floe cannot read yet; read only the columns you need (a feature view reads just its keys, timestamps and features)`,
      { context: { table, column: field.name, type } },
    );
  }
}
