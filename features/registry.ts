import type { TableIdentifier } from '../iceberg/catalog/catalog.js';
import { parseTableIdentifier } from '../iceberg/catalog/identifier.js';
import { FloeError } from '../core/errors.js';
import type {
  EntityDefinition,
  FeatureServiceDefinition,
  FeatureViewDefinition,
  FeatureViewProjection,
  IcebergSourceDefinition,
} from './definitions.js';
import { durationSeconds } from './definitions.js';
import { isAggregatedView } from './aggregations.js';
import type { PushSourceDefinition } from './push-source.js';
import type { StreamSourceDefinition } from './stream-source.js';
import type { OnDemandViewDefinition, RequestSourceDefinition } from './on-demand.js';

export type Definition =
  | EntityDefinition
  | IcebergSourceDefinition
  | FeatureViewDefinition
  | FeatureServiceDefinition
  | RequestSourceDefinition
  | OnDemandViewDefinition
  | PushSourceDefinition
  | StreamSourceDefinition;

/** Features of one view, resolved: every name exists in the view, in the order asked for. */
export interface ResolvedProjection {
  readonly view: FeatureViewDefinition;
  readonly features: readonly string[];
  /** The name the view is read under (an alias): the prefix of its full feature names. The view's own name when absent. */
  readonly name?: string;
}

/** The name a projection's features are output under: its alias, else its view's name. */
export function projectionName(projection: ResolvedProjection): string {
  return projection.name ?? projection.view.name;
}

export const DEFAULT_ONLINE_NAMESPACE = 'floe_online';
/** The Iceberg format versions Floe creates tables in; 2 unless floe.yaml's `iceberg.formatVersion` says 3. */
export type TableFormatVersion = 2 | 3;

/**
 * A consistent set of definitions: every name unique within its kind, every reference resolved.
 * Built once when a project loads; lookups fail with the names that do exist.
 */
export class Registry {
  readonly entities: ReadonlyMap<string, EntityDefinition>;
  readonly sources: ReadonlyMap<string, IcebergSourceDefinition>;
  readonly featureViews: ReadonlyMap<string, FeatureViewDefinition>;
  readonly featureServices: ReadonlyMap<string, FeatureServiceDefinition>;
  readonly requestSources: ReadonlyMap<string, RequestSourceDefinition>;
  readonly onDemandViews: ReadonlyMap<string, OnDemandViewDefinition>;
  readonly pushSources: ReadonlyMap<string, PushSourceDefinition>;
  readonly streamSources: ReadonlyMap<string, StreamSourceDefinition>;
  readonly onlineNamespace: string;
  /** The format version of the tables Floe creates for this project (floe.yaml's `iceberg.formatVersion`). */
  readonly tableFormatVersion: TableFormatVersion;

  constructor(definitions: readonly Definition[], options: { onlineNamespace?: string; tableFormatVersion?: TableFormatVersion } = {}) {
    this.entities = indexKind(definitions, 'entity', 'entity');
    this.sources = indexKind(definitions, 'source', 'source');
    this.featureViews = indexKind(definitions, 'featureView', 'feature view');
    this.featureServices = indexKind(definitions, 'featureService', 'feature service');
    this.requestSources = indexKind(definitions, 'requestSource', 'request source');
    this.onDemandViews = indexKind(definitions, 'onDemandView', 'on-demand view');
    this.pushSources = indexKind(definitions, 'pushSource', 'push source');
    this.streamSources = indexKind(definitions, 'streamSource', 'stream source');
    this.onlineNamespace = options.onlineNamespace ?? DEFAULT_ONLINE_NAMESPACE;
    this.tableFormatVersion = options.tableFormatVersion ?? 2;
    for (const push of this.pushSources.values()) {
      if (this.sources.has(push.name))
        throw new FloeError('invalid-input', `Push source ${push.name} has the name of an Iceberg source; give it a name of its own`, {
          context: { object: push.name, field: 'name' },
        });
      if (!this.sources.has(push.batchSource)) {
        const known = [...this.sources.keys()].sort().join(', ') || 'none';
        throw new FloeError(
          'invalid-input',
          `Push source ${push.name} refers to ${JSON.stringify(push.batchSource)} in batchSource, which is not an Iceberg source; defined: ${known}`,
          { context: { object: push.name, field: 'batchSource' } },
        );
      }
    }
    for (const stream of this.streamSources.values()) checkStreamSource(stream, this.pushSources);
    for (const view of this.featureViews.values()) {
      if (view.allowedLateness !== undefined) checkAllowedLateness(view, this.pushSources.has(view.source));
      this.sourceOf(view);
      this.entitiesOf(view);
      const keys = new Set(this.joinKeysOf(view).map((key) => key.name));
      const clash = view.features.find((feature) => keys.has(feature.name));
      if (clash) {
        throw new FloeError(
          'invalid-input',
          `Feature view ${view.name}: feature ${JSON.stringify(clash.name)} has the name of a join key`,
          { context: { object: view.name, field: `features.${clash.name}` } },
        );
      }
    }
    for (const view of this.onDemandViews.values()) {
      if (this.featureViews.has(view.name))
        throw new FloeError(
          'invalid-input',
          `On-demand view ${view.name} has the name of a feature view; feature references could not tell them apart`,
          {
            context: { object: view.name },
          },
        );
      this.onDemandSourcesOf(view);
    }
    for (const service of this.featureServices.values()) {
      service.features.forEach((projection, index) => {
        const where = `Feature service ${service.name}`;
        const context = { object: service.name, field: `features.${index}` };
        if (this.onDemandViews.has(projection.featureView)) this.resolveOnDemandProjection(projection, where, context);
        else this.resolveProjection(projection, where, context);
      });
    }
  }

  featureService(name: string): FeatureServiceDefinition {
    return lookup(this.featureServices, name, 'feature service');
  }

  /**
   * Feature references as Feast writes them (`view:feature`, or `view` for all of a view's
   * features), grouped by view in the order first named; the same feature twice is kept once.
   * A reference may name a view by an alias (`aliases`: alias → view name): its features are read
   * from that view and the projection is named by the alias, apart from the view's own.
   */
  resolveFeatureReferences(references: readonly string[], aliases?: ReadonlyMap<string, string>): ResolvedProjection[] {
    if (references.length === 0)
      throw new FloeError('invalid-input', 'Ask for at least one feature (as "view:feature" or "view")', {
        context: { field: 'features' },
      });
    const byView = new Map<string, { all: boolean; names: string[] }>();
    for (const reference of references) {
      const match = /^([^:]+)(?::(.+))?$/.exec(reference);
      if (!match)
        throw new FloeError('invalid-input', `Feature reference ${JSON.stringify(reference)} must be "view:feature" or "view"`, {
          context: { field: 'features', reference },
        });
      const [, viewName, feature] = match as unknown as [string, string, string | undefined];
      const entry = byView.get(viewName) ?? { all: false, names: [] };
      if (feature === undefined) entry.all = true;
      else if (!entry.names.includes(feature)) entry.names.push(feature);
      byView.set(viewName, entry);
    }
    return [...byView].map(([named, entry]) => {
      const featureView = aliases?.get(named) ?? named;
      const projection = this.resolveProjection(entry.all ? { featureView } : { featureView, features: entry.names }, 'Feature reference', {
        field: 'features',
      });
      return aliases?.has(named) === true ? { ...projection, name: named } : projection;
    });
  }

  /** The projections of a feature service, resolved. */
  featureServiceProjections(name: string): ResolvedProjection[] {
    const service = this.featureService(name);
    return service.features.map((projection) =>
      this.resolveProjection(projection, `Feature service ${service.name}`, { object: service.name }),
    );
  }

  resolveProjection(projection: FeatureViewProjection, where: string, context: Record<string, string>): ResolvedProjection {
    const view = this.featureViews.get(projection.featureView);
    if (!view) {
      const known = [...this.featureViews.keys()].sort().join(', ') || 'none';
      throw new FloeError(
        'invalid-input',
        `${where} refers to feature view ${JSON.stringify(projection.featureView)}, which is not defined; defined: ${known}`,
        { context: { ...context, featureView: projection.featureView } },
      );
    }
    const names = projection.features ?? view.features.map((feature) => feature.name);
    for (const name of names) {
      if (!view.features.some((feature) => feature.name === name)) {
        const known = view.features.map((feature) => feature.name).join(', ');
        throw new FloeError(
          'invalid-input',
          `${where} refers to feature ${JSON.stringify(`${view.name}:${name}`)}, which does not exist; ${view.name} has: ${known}`,
          {
            context: { ...context, featureView: view.name, feature: name },
          },
        );
      }
    }
    return { view, features: names };
  }

  /** Some features of an on-demand view (all of them when none are named), every name checked. */
  resolveOnDemandProjection(
    projection: FeatureViewProjection,
    where: string,
    context: Record<string, string>,
  ): { view: OnDemandViewDefinition; features: readonly string[] } {
    const view = lookup(this.onDemandViews, projection.featureView, 'on-demand view');
    const names = projection.features ?? view.features.map((feature) => feature.name);
    const missing = names.find((feature) => !view.features.some((candidate) => candidate.name === feature));
    if (missing !== undefined)
      throw new FloeError(
        'invalid-input',
        `${where} refers to feature ${JSON.stringify(`${view.name}:${missing}`)}, which does not exist; ${view.name} has: ${view.features.map((feature) => feature.name).join(', ')}`,
        { context: { ...context, featureView: view.name, feature: missing } },
      );
    return { view, features: names };
  }

  /** The inputs of an on-demand view: features of views, and request sources whose fields come with each entity row. */
  onDemandSourcesOf(view: OnDemandViewDefinition): { views: ResolvedProjection[]; requestSources: RequestSourceDefinition[] } {
    const views: ResolvedProjection[] = [];
    const requestSources: RequestSourceDefinition[] = [];
    view.sources.forEach((source, index) => {
      const request = this.requestSources.get(source.name);
      if (request !== undefined && !this.featureViews.has(source.name)) {
        if (source.features !== undefined)
          throw new FloeError(
            'invalid-input',
            `On-demand view ${view.name}: request source ${source.name} is taken whole; do not name its fields`,
            {
              context: { object: view.name, field: `sources.${index}` },
            },
          );
        requestSources.push(request);
        return;
      }
      if (!this.featureViews.has(source.name)) {
        const known = [...this.featureViews.keys(), ...this.requestSources.keys()].sort().join(', ') || 'none';
        throw new FloeError(
          'invalid-input',
          `On-demand view ${view.name} refers to source ${JSON.stringify(source.name)}, which is neither a feature view nor a request source; defined: ${known}`,
          { context: { object: view.name, field: `sources.${index}` } },
        );
      }
      const projection = this.resolveProjection(
        source.features === undefined ? { featureView: source.name } : { featureView: source.name, features: source.features },
        `On-demand view ${view.name}`,
        { object: view.name, field: `sources.${index}` },
      );
      views.push(projection);
    });
    return { views, requestSources };
  }

  featureView(name: string): FeatureViewDefinition {
    return lookup(this.featureViews, name, 'feature view');
  }

  /** The Iceberg source a view reads: its `source`, or the batch source of the push source it names. */
  sourceOf(view: FeatureViewDefinition): IcebergSourceDefinition {
    const source = this.sources.get(this.pushSources.get(view.source)?.batchSource ?? view.source);
    if (!source) throw missingReference(view.name, 'source', view.source, new Map<string, unknown>([...this.sources, ...this.pushSources]));
    return source;
  }

  source(name: string): IcebergSourceDefinition {
    return lookup(this.sources, name, 'source');
  }

  pushSource(name: string): PushSourceDefinition {
    return lookup(this.pushSources, name, 'push source');
  }

  streamSource(name: string): StreamSourceDefinition {
    return lookup(this.streamSources, name, 'stream source');
  }

  /** The push source a stream source's rows go to (checked to exist when the registry is built). */
  pushSourceOf(stream: StreamSourceDefinition): PushSourceDefinition {
    return this.pushSources.get(stream.pushSource)!;
  }

  /** The Iceberg source a push source's rows belong to (checked to exist when the registry is built). */
  batchSourceOf(push: PushSourceDefinition): IcebergSourceDefinition {
    return this.sources.get(push.batchSource)!;
  }

  /** Whether a view's `source` names a push source: its aggregated features are then read at request time (aggregation-tiles.ts). */
  isPushFed(view: FeatureViewDefinition): boolean {
    return this.pushSources.has(view.source);
  }

  /** The views a push source feeds: those whose `source` names it. */
  viewsFedBy(push: PushSourceDefinition): FeatureViewDefinition[] {
    return [...this.featureViews.values()].filter((view) => view.source === push.name);
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

/** The definitions of one kind by name; two of them with one name are refused. */
function indexKind<K extends Definition['kind']>(
  definitions: readonly Definition[],
  kind: K,
  label: string,
): ReadonlyMap<string, Extract<Definition, { kind: K }>> {
  return indexByName(
    definitions.filter((definition): definition is Extract<Definition, { kind: K }> => definition.kind === kind),
    label,
  );
}

function indexByName<T extends { name: string }>(items: readonly T[], kind: string): ReadonlyMap<string, T> {
  const index = new Map<string, T>();
  for (const item of items) {
    if (index.has(item.name))
      throw new FloeError('invalid-input', `Two ${kind} definitions are named ${JSON.stringify(item.name)}`, {
        context: { object: item.name },
      });
    index.set(item.name, item);
  }
  return index;
}

function lookup<T>(index: ReadonlyMap<string, T>, name: string, kind: string): T {
  const found = index.get(name);
  if (found) return found;
  const known = [...index.keys()].sort().join(', ') || 'none';
  throw new FloeError('not-found', `No ${kind} named ${JSON.stringify(name)}; defined: ${known}`, {
    context: { [kind.replace(' ', '')]: name },
  });
}

function missingReference(viewName: string, field: string, missing: string, index: ReadonlyMap<string, unknown>): FloeError {
  const known = [...index.keys()].sort().join(', ') || 'none';
  return new FloeError(
    'invalid-input',
    `Feature view ${viewName} refers to ${JSON.stringify(missing)} in ${field}, which is not defined; defined: ${known}`,
    {
      context: { object: viewName, field },
    },
  );
}

/** A stream source feeds an existing push source. */
function checkStreamSource(stream: StreamSourceDefinition, pushSources: ReadonlyMap<string, PushSourceDefinition>): void {
  if (pushSources.has(stream.pushSource)) return;
  const known = [...pushSources.keys()].sort().join(', ') || 'none';
  throw new FloeError(
    'invalid-input',
    `Stream source ${stream.name} refers to ${JSON.stringify(stream.pushSource)} in pushSource, which is not a push source; defined: ${known}`,
    { context: { object: stream.name, field: 'pushSource' } },
  );
}

/**
 * allowedLateness is for an aggregated view fed by a push source, and no longer than its delay: an
 * event within it then lands after the view's watermark, where a request-time read takes pushed events.
 */
function checkAllowedLateness(view: FeatureViewDefinition, pushFed: boolean): void {
  const context = { object: view.name, field: 'allowedLateness' };
  if (!isAggregatedView(view) || !pushFed)
    throw new FloeError(
      'invalid-input',
      `Feature view ${view.name}: allowedLateness is for a view with aggregations whose source is a push source; ${view.name} ${isAggregatedView(view) ? `reads the Iceberg source ${view.source}` : 'has no aggregations'}`,
      { context },
    );
  const lateness = durationSeconds(view.allowedLateness) ?? 0;
  const delay = durationSeconds(view.delay) ?? 0;
  if (lateness > delay)
    throw new FloeError(
      'invalid-input',
      `Feature view ${view.name}: allowedLateness (${lateness} s) is longer than delay (${delay} s); give the view a delay of at least its allowedLateness, so that an event within it lands after the watermark`,
      { context },
    );
}
