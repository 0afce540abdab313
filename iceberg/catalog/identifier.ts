import { FloeError } from '../errors.js';
import type { Namespace, TableIdentifier } from './catalog.js';

/** `a.b.t`: how a table is named in messages (and how the SQL catalogs store namespaces). */
export function formatIdentifier(identifier: TableIdentifier): string {
  return [...identifier.namespace, identifier.name].join('.');
}

export function formatNamespace(namespace: Namespace): string {
  return namespace.join('.');
}

/** `a.b.t` → namespace [a, b], name t. */
export function parseIdentifier(text: string): TableIdentifier {
  const parts = text.split('.');
  const name = parts.pop();
  if (name === undefined || name === '' || parts.length === 0 || parts.some((part) => part === '')) {
    throw new FloeError('invalid-input', `Table identifier ${JSON.stringify(text)} must be namespace.table (e.g. db.events)`, { context: { table: text } });
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
    throw new FloeError('invalid-input', `Table name in ${formatNamespace(identifier.namespace)} must not be empty`, { context: { namespace: formatNamespace(identifier.namespace) } });
  }
}
