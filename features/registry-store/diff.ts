import type { Definition } from '../registry.js';
import { isRecord } from '../../core/is-record.js';

/** One definition's change between the stored registry and the project. */
export interface DefinitionChange {
  readonly change: 'add' | 'remove' | 'update';
  readonly kind: Definition['kind'];
  readonly name: string;
  /** For updates: the top-level fields that differ, and for features the names added or removed. */
  readonly fields?: readonly string[];
  readonly featuresAdded?: readonly string[];
  readonly featuresRemoved?: readonly string[];
}

const KIND_ORDER: readonly Definition['kind'][] = [
  'entity',
  'source',
  'pushSource',
  'streamSource',
  'requestSource',
  'featureView',
  'onDemandView',
  'featureService',
];

/** What applying `next` over `previous` changes, kind by kind, name by name. */
export function diffDefinitions(previous: readonly Definition[], next: readonly Definition[]): DefinitionChange[] {
  const key = (definition: Definition) => `${definition.kind}\0${definition.name}`;
  const before = new Map(previous.map((definition) => [key(definition), definition]));
  const after = new Map(next.map((definition) => [key(definition), definition]));
  const changes: DefinitionChange[] = [];
  for (const [id, definition] of after) {
    const old = before.get(id);
    if (!old) changes.push({ change: 'add', kind: definition.kind, name: definition.name });
    else {
      const fields = changedFields(old, definition);
      if (fields.length === 0) continue;
      const update: DefinitionChange = { change: 'update', kind: definition.kind, name: definition.name, fields };
      if (definition.kind === 'featureView' && old.kind === 'featureView') {
        const oldNames = old.features.map((feature) => feature.name);
        const newNames = definition.features.map((feature) => feature.name);
        changes.push({
          ...update,
          featuresAdded: newNames.filter((name) => !oldNames.includes(name)),
          featuresRemoved: oldNames.filter((name) => !newNames.includes(name)),
        });
      } else changes.push(update);
    }
  }
  for (const [id, definition] of before)
    if (!after.has(id)) changes.push({ change: 'remove', kind: definition.kind, name: definition.name });
  return changes.sort(
    (a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

function changedFields(a: Definition, b: Definition): string[] {
  const fields = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...fields]
    .filter(
      (field) =>
        canonical((a as unknown as Record<string, unknown>)[field]) !== canonical((b as unknown as Record<string, unknown>)[field]),
    )
    .sort();
}

/** JSON with sorted object keys, so key order never reads as a change. */
function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) =>
      isRecord(item) ? Object.fromEntries(Object.entries(item).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : item,
    ) ?? 'undefined'
  );
}
