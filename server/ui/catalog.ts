import { durationSeconds } from '../../features/definitions.js';
import type { FeatureViewDefinition } from '../../features/definitions.js';
import { storedOnDemandView } from '../../features/on-demand.js';
import type { Registry } from '../../features/registry.js';
import { lineageGraph } from './lineage.js';
import type { LineageGraph } from './lineage.js';
import type { VisibleNames } from './visible-definitions.js';

/** How the catalog names each kind of source and view. */
export type SourceType = 'iceberg' | 'push' | 'stream' | 'request';
export type ViewType = 'plain' | 'aggregated' | 'onDemand';

/** One definition as the catalog lists it: what search looks at, and the definition itself as the registry document stores it. */
export interface CatalogItem {
  readonly name: string;
  /** The lineage graph's node for it. */
  readonly node: string;
  readonly description: string | null;
  readonly owner: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly definition: unknown;
}

export interface CatalogSource extends CatalogItem {
  readonly type: SourceType;
}

export interface CatalogView extends CatalogItem {
  readonly type: ViewType;
  /** `every 1h`, `cron 0 * * * *`, or null without a schedule. */
  readonly schedule: string | null;
}

export interface Catalog {
  readonly project: string;
  readonly entities: readonly CatalogItem[];
  readonly sources: readonly CatalogSource[];
  readonly featureViews: readonly CatalogView[];
  readonly featureServices: readonly CatalogItem[];
  readonly lineage: LineageGraph;
}

/** Every definition the caller may see, by kind and name order, with the lineage graph between them. */
export function catalogOf(registry: Registry, visible: VisibleNames, project: string): Catalog {
  const pick = <T extends { name: string }>(definitions: ReadonlyMap<string, T>, names: ReadonlySet<string>): T[] =>
    [...definitions.values()].filter((definition) => names.has(definition.name)).sort((a, b) => compare(a.name, b.name));
  const item = (
    node: string,
    definition: { name: string; description?: string | undefined; tags?: Readonly<Record<string, string>> | undefined },
    shown: unknown = definition,
  ): CatalogItem => ({
    name: definition.name,
    node,
    description: definition.description ?? null,
    owner: 'owner' in definition && typeof definition.owner === 'string' ? definition.owner : null,
    tags: definition.tags ?? {},
    definition: shown,
  });
  const sources: CatalogSource[] = [
    ...pick(registry.sources, visible.sources).map((source) => ({ ...item(`iceberg:${source.name}`, source), type: 'iceberg' as const })),
    ...pick(registry.pushSources, visible.pushSources).map((push) => ({ ...item(`push:${push.name}`, push), type: 'push' as const })),
    ...pick(registry.streamSources, visible.streamSources).map((stream) => ({
      ...item(`stream:${stream.name}`, stream),
      type: 'stream' as const,
    })),
    ...pick(registry.requestSources, visible.requestSources).map((request) => ({
      ...item(`request:${request.name}`, request),
      type: 'request' as const,
    })),
  ];
  const featureViews: CatalogView[] = [
    ...pick(registry.featureViews, visible.featureViews).map((view) => ({
      ...item(`view:${view.name}`, view),
      type: view.aggregations === undefined ? ('plain' as const) : ('aggregated' as const),
      schedule: scheduleLabel(view),
    })),
    ...pick(registry.onDemandViews, visible.onDemandViews).map((view) => ({
      // Its compute function is shown by hash, as `floe plan` compares it.
      ...item(`view:${view.name}`, view, storedOnDemandView(view)),
      type: 'onDemand' as const,
      schedule: null,
    })),
  ].sort((a, b) => compare(a.name, b.name));
  return {
    project,
    entities: pick(registry.entities, visible.entities).map((entity) => item(`entity:${entity.name}`, entity)),
    sources,
    featureViews,
    featureServices: pick(registry.featureServices, visible.featureServices).map((service) => item(`service:${service.name}`, service)),
    lineage: lineageGraph(registry, visible),
  };
}

/** A view's schedule in a few words: `every 1h`, `every 1d 6h`, `cron 0 * * * *`; null when it has none. */
export function scheduleLabel(view: Pick<FeatureViewDefinition, 'schedule'>): string | null {
  const schedule = view.schedule;
  if (schedule === undefined) return null;
  if (schedule.cron !== undefined) return `cron ${schedule.cron.join(', ')}`;
  return `every ${durationLabel(durationSeconds(schedule.every) ?? 0)}`;
}

/** Seconds as days, hours, minutes and seconds, the units that are not zero: `1d 6h`, `90s` → `1m 30s`. */
export function durationLabel(seconds: number): string {
  const units = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const;
  let left = seconds;
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(left / size);
    left -= count * size;
    if (count > 0) parts.push(`${count}${unit}`);
  }
  return parts.length === 0 ? '0s' : parts.join(' ');
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
