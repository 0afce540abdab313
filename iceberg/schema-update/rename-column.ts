import type { TableChange } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import type { NestedField } from '../spec/types.js';
import { describePath, schemaChange, updateStructAt } from './schema-change.js';
import type { ColumnPath } from './schema-change.js';

/**
 * Renames a column (a top-level name, a dotted path into struct columns, or a list of names).
 * Only the name changes: the field id stays, so data files written before read on under the new name.
 */
export function renameColumn(path: ColumnPath, newName: string): TableChange {
  if (typeof newName !== 'string' || newName.length === 0)
    throw new FloeError('invalid-input', `A column's new name must be a non-empty string (renaming ${describePath(path)})`);
  return schemaChange(`rename column ${describePath(path)} to ${newName}`, (schema, metadata, table) => {
    const names = resolvePath(schema.fields, path, table);
    const oldName = names[names.length - 1]!;
    const fields = updateStructAt(schema.fields, names.slice(0, -1), table, (siblings, where) => {
      if (oldName === newName)
        throw new FloeError('invalid-input', `Column ${describePath(path)} of table ${table} is already named ${JSON.stringify(newName)}`, {
          context: { table, column: describePath(path) },
        });
      if (siblings.some((sibling) => sibling.name === newName)) {
        throw new FloeError(
          'invalid-input',
          `Cannot rename ${describePath(path)} to ${JSON.stringify(newName)}: ${where} already has a column of that name`,
          { context: { table, column: describePath(path) } },
        );
      }
      return siblings.map((sibling) => (sibling.name === oldName ? { ...sibling, name: newName } : sibling));
    });
    return { fields, lastColumnId: metadata.lastColumnId };
  });
}

/** The names from the top level down to the column: an exact top-level name wins over a dotted path. */
function resolvePath(fields: readonly NestedField[], path: ColumnPath, table: string): readonly string[] {
  if (typeof path !== 'string') {
    if (path.length === 0) throw new FloeError('invalid-input', 'A column path needs at least one name');
    findOrFail(fields, path, path, table);
    return path;
  }
  if (fields.some((field) => field.name === path)) return [path];
  const dotted = findDotted(fields, path);
  if (dotted) return dotted;
  throw new FloeError(
    'invalid-input',
    `Column ${JSON.stringify(path)} does not exist in table ${table}; its columns are ${fields.map((f) => f.name).join(', ')}`,
    { context: { table, column: path } },
  );
}

function findOrFail(fields: readonly NestedField[], names: readonly string[], path: readonly string[], table: string): void {
  let level = fields;
  names.forEach((name, index) => {
    const field = level.find((candidate) => candidate.name === name);
    if (!field) {
      throw new FloeError(
        'invalid-input',
        `Column ${describePath(path)} does not exist in table ${table}: no ${JSON.stringify(name)} among ${level.map((f) => f.name).join(', ') || '(none)'}`,
        {
          context: { table, column: describePath(path) },
        },
      );
    }
    if (index < names.length - 1) level = typeof field.type !== 'string' && field.type.type === 'struct' ? field.type.fields : [];
  });
}

function findDotted(fields: readonly NestedField[], name: string): string[] | undefined {
  for (const field of fields) {
    if (typeof field.type === 'string' || field.type.type !== 'struct' || !name.startsWith(`${field.name}.`)) continue;
    const rest = name.slice(field.name.length + 1);
    if (field.type.fields.some((child) => child.name === rest)) return [field.name, rest];
    const deeper = findDotted(field.type.fields, rest);
    if (deeper) return [field.name, ...deeper];
  }
  return undefined;
}
