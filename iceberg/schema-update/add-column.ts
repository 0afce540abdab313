import type { TableChange } from '../commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import type { IcebergType, NestedField } from '../spec/types.js';
import { describePath, pathNames, schemaChange, updateStructAt, withFreshIds } from './schema-change.js';
import type { ColumnPath } from './schema-change.js';
import { defined } from '../../contracts/defined.js';

export interface AddColumnOptions {
  readonly doc?: string;
  /** Only with an initial default, on a format v3 table: older rows need a value. */
  readonly required?: boolean;
  /** v3: the value rows written before the column existed read as (JSON single-value form). */
  readonly initialDefault?: unknown;
  /** v3: the value writers use when they do not give one. */
  readonly writeDefault?: unknown;
  /** Put the column right after this sibling instead of last. */
  readonly after?: string;
}

/**
 * Adds a column (top-level, or inside a struct column when `path` is a list of names) with a fresh
 * field id above the table's last column id. Rows written before read it as null (or, on v3, its
 * initial default).
 */
export function addColumn(path: ColumnPath, type: IcebergType, options: AddColumnOptions = {}): TableChange {
  const names = pathNames(path);
  const name = names[names.length - 1];
  if (name === undefined || name.length === 0) throw new FloeError('invalid-input', 'A new column needs a non-empty name');
  if (typeof path === 'string' && path.includes('.')) {
    throw new FloeError(
      'invalid-input',
      `Column name ${JSON.stringify(path)} holds a dot: give a nested column as a list of names (["parent", "child"]), or a top-level name without dots`,
      {
        context: { column: path },
      },
    );
  }
  return schemaChange(`add column ${describePath(path)}`, (schema, metadata, table) => {
    const required = options.required ?? false;
    if (required && (metadata.formatVersion < 3 || options.initialDefault === undefined || options.initialDefault === null)) {
      throw new FloeError(
        'invalid-input',
        `Cannot add required column ${describePath(path)} to table ${table}: rows written before it have no value for it. Add it as optional, or give it an initial default on a format v3 table (this one is v${metadata.formatVersion})`,
        { context: { table, column: describePath(path) } },
      );
    }
    if (metadata.formatVersion < 3 && (options.initialDefault !== undefined || options.writeDefault !== undefined)) {
      throw new FloeError('invalid-input', `Column defaults need format version 3; table ${table} is v${metadata.formatVersion}`, {
        context: { table, column: describePath(path) },
      });
    }
    let nextId = metadata.lastColumnId;
    const next = (): number => ++nextId;
    const id = next();
    const field: NestedField = {
      id,
      name,
      required,
      type: withFreshIds(type, next),
      ...defined({ doc: options.doc, initialDefault: options.initialDefault, writeDefault: options.writeDefault }),
    };
    const fields = updateStructAt(schema.fields, names.slice(0, -1), table, (siblings, where) => {
      if (siblings.some((sibling) => sibling.name === name)) {
        throw new FloeError(
          'invalid-input',
          `Cannot add column ${describePath(path)}: ${where} already has a column named ${JSON.stringify(name)}`,
          { context: { table, column: describePath(path) } },
        );
      }
      if (options.after === undefined) return [...siblings, field];
      const index = siblings.findIndex((sibling) => sibling.name === options.after);
      if (index < 0) {
        throw new FloeError(
          'invalid-input',
          `Cannot add column ${describePath(path)} after ${JSON.stringify(options.after)}: ${where} has no such column; its columns are ${siblings.map((s) => s.name).join(', ')}`,
          {
            context: { table, column: describePath(path) },
          },
        );
      }
      return [...siblings.slice(0, index + 1), field, ...siblings.slice(index + 1)];
    });
    return { fields, lastColumnId: nextId };
  });
}
