import { FloeError } from '../../core/errors.js';
import type { Namespace, TableIdentifier } from './catalog.js';

/**
 * The longest name Floe accepts for anything a user names: entities, sources, feature views,
 * features, feature services, join keys, namespaces, table names, the project. 128 characters,
 * because every catalog Floe supports and every place a name ends up takes that much:
 * - the Iceberg SQL catalog (Java's JdbcCatalog, pyiceberg's SqlCatalog, Floe's own) keeps
 *   `table_namespace` and `table_name` in VARCHAR(255) columns, and a namespace of several levels
 *   joined by dots must still fit;
 * - a REST catalog puts namespace and table in URL path segments;
 * - an online table is the folder `<warehouse>/<namespace>/<view>/` and the project the folder
 *   `_floe_registry/<project>`: a file name is at most 255 bytes on the file systems Floe runs on
 *   (names here are ASCII, so characters are bytes);
 * - Temporal workflow and schedule ids embed view names next to two instants, well within its
 *   1,000-character id limit.
 * A longer name used to pass `floe plan` and fail at `floe apply` on a file write.
 */
export const MAX_NAME_LENGTH = 128;

/** A name shortened for a message: a 5,000-character name is named by its start and its length. */
export function quotedName(name: string): string {
  return name.length <= MAX_NAME_LENGTH ? name : `${name.slice(0, 40)}… (${name.length} characters)`;
}

/** `a.b.t`: how a table is named in messages (and how the SQL catalogs store namespaces). */
export function formatTableIdentifier(identifier: TableIdentifier): string {
  return [...identifier.namespace, identifier.name].join('.');
}

export function formatNamespace(namespace: Namespace): string {
  return namespace.join('.');
}

/** `ns.table` or `ns1.ns2.table`: the last part is the table, the rest the namespace. */
export function parseTableIdentifier(text: string): TableIdentifier {
  const parts = text.split('.');
  const name = parts.pop();
  if (!name || parts.length === 0 || parts.some((part) => part.length === 0)) {
    throw new FloeError(
      'invalid-input',
      `Table identifier ${JSON.stringify(quotedName(text))} must be "namespace.table" (e.g. db.events)`,
      { context: { table: quotedName(text) } },
    );
  }
  if (name.length > MAX_NAME_LENGTH || parts.join('.').length > MAX_NAME_LENGTH) {
    throw new FloeError(
      'invalid-input',
      `Table identifier ${JSON.stringify(quotedName(text))}: its namespace and its table name must each be at most ${MAX_NAME_LENGTH} characters`,
      { context: { table: quotedName(text) } },
    );
  }
  return { namespace: parts, name };
}

export function checkNamespace(namespace: Namespace): void {
  if (namespace.length === 0 || namespace.some((level) => level === '')) {
    throw new FloeError('invalid-input', `Namespace ${JSON.stringify(namespace)} must have at least one level and no empty level`, {
      context: { namespace: formatNamespace(namespace) },
    });
  }
}

export function checkIdentifier(identifier: TableIdentifier): void {
  checkNamespace(identifier.namespace);
  if (identifier.name === '') {
    throw new FloeError('invalid-input', `Table name in ${formatNamespace(identifier.namespace)} must not be empty`, {
      context: { namespace: formatNamespace(identifier.namespace) },
    });
  }
}
