import type { TableIdentifier } from '../iceberg/catalog/catalog.js';
import { FloeError } from '../iceberg/errors.js';
import type { EntityDefinition, FeatureViewDefinition, IcebergSourceDefinition } from './definitions.js';

export type Definition = EntityDefinition | IcebergSourceDefinition | FeatureViewDefinition;

export const DEFAULT_ONLINE_NAMESPACE = 'floe_online';

/**
 * A consistent set of definitions: every name unique within its kind, every reference resolved.
 * Built once when a project loads; lookups fail with the names that do exist.
 */
export class Registry {
  readonly entities: ReadonlyMap<string, EntityDefinition>;
  readonly sources: ReadonlyMap<string, IcebergSourceDefinition>;
  readonly featureViews: ReadonlyMap<string, FeatureViewDefinition>;
  readonly onlineNamespace: string;

  constructor(definitions: readonly Definition[], options: { onlineNamespace?: string } = {}) {
    this.entities = indexByName(definitions.filter((d): d is EntityDefinition => d.kind === 'entity'), 'entity');
    this.sources = indexByName(definitions.filter((d): d is IcebergSourceDefinition => d.kind === 'source'), 'source');
    this.featureViews = indexByName(definitions.filter((d): d is FeatureViewDefinition => d.kind === 'featureView'), 'feature view');
    this.onlineNamespace = options.onlineNamespace ?? DEFAULT_ONLINE_NAMESPACE;
    for (const view of this.featureViews.values()) {
      this.sourceOf(view);
      this.entitiesOf(view);
    }
  }

  featureView(name: string): FeatureViewDefinition {
    return lookup(this.featureViews, name, 'feature view');
  }

  sourceOf(view: FeatureViewDefinition): IcebergSourceDefinition {
    const source = this.sources.get(view.source);
    if (!source) throw missingReference(view.name, 'source', view.source, this.sources);
    return source;
  }

  entitiesOf(view: FeatureViewDefinition): EntityDefinition[] {
    return view.entities.map((entityName) => {
      const entity = this.entities.get(entityName);
      if (!entity) throw missingReference(view.name, 'entities', entityName, this.entities);
      return entity;
    });
  }

  /** Join key columns of a view, in definition order, deduplicated across its entities. */
  joinKeysOf(view: FeatureViewDefinition): EntityDefinition['joinKeys'] {
    const keys = new Map<string, EntityDefinition['joinKeys'][number]>();
    for (const entity of this.entitiesOf(view)) for (const key of entity.joinKeys) keys.set(key.name, key);
    return [...keys.values()];
  }

  onlineTableOf(view: FeatureViewDefinition): TableIdentifier {
    return parseTableIdentifier(view.online.table ?? `${this.onlineNamespace}.${view.name}`);
  }
}

/** `ns.table` or `ns1.ns2.table`: the last part is the table, the rest the namespace. */
export function parseTableIdentifier(text: string): TableIdentifier {
  const parts = text.split('.');
  const name = parts.pop();
  if (!name || parts.length === 0 || parts.some((part) => part.length === 0)) {
    throw new FloeError('invalid-input', `Table identifier ${JSON.stringify(text)} must be "namespace.table"`, { context: { table: text } });
  }
  return { namespace: parts, name };
}

export function formatTableIdentifier(identifier: TableIdentifier): string {
  return [...identifier.namespace, identifier.name].join('.');
}

function indexByName<T extends { name: string }>(items: readonly T[], kind: string): ReadonlyMap<string, T> {
  const index = new Map<string, T>();
  for (const item of items) {
    if (index.has(item.name)) throw new FloeError('invalid-input', `Two ${kind} definitions are named ${JSON.stringify(item.name)}`, { context: { object: item.name } });
    index.set(item.name, item);
  }
  return index;
}

function lookup<T>(index: ReadonlyMap<string, T>, name: string, kind: string): T {
  const found = index.get(name);
  if (found) return found;
  const known = [...index.keys()].sort().join(', ') || 'none';
  throw new FloeError('not-found', `No ${kind} named ${JSON.stringify(name)}; defined: ${known}`, { context: { [kind.replace(' ', '')]: name } });
}

function missingReference(viewName: string, field: string, missing: string, index: ReadonlyMap<string, unknown>): FloeError {
  const known = [...index.keys()].sort().join(', ') || 'none';
  return new FloeError('invalid-input', `Feature view ${viewName} refers to ${JSON.stringify(missing)} in ${field}, which is not defined; defined: ${known}`, {
    context: { object: viewName, field },
  });
}
