import type { ServerPermissions } from '../../features/config.js';
import type { Registry } from '../../features/registry.js';

/** The names of what a caller may see in the web UI, kind by kind. */
export interface VisibleNames {
  readonly featureViews: ReadonlySet<string>;
  readonly onDemandViews: ReadonlySet<string>;
  readonly featureServices: ReadonlySet<string>;
  readonly entities: ReadonlySet<string>;
  readonly sources: ReadonlySet<string>;
  readonly pushSources: ReadonlySet<string>;
  readonly streamSources: ReadonlySet<string>;
  readonly requestSources: ReadonlySet<string>;
}

/**
 * What the UI shows a caller: everything to one who may read everything (or to all, without
 * `server.auth`); to one who may read some views and feature services, those, the views those
 * services and on-demand views are built from, and the entities and sources behind them. Nothing
 * else is named, so the UI tells no more than the caller's reads could.
 */
export function visibleNames(registry: Registry, permissions: ServerPermissions | undefined): VisibleNames {
  const read = permissions?.read ?? true;
  const all = read === true;
  const allowed = (names: Iterable<string>, granted: readonly string[]): Set<string> =>
    new Set(all ? names : [...names].filter((name) => granted.includes(name)));
  const grantedViews = read === true || read === false ? [] : read.views;
  const grantedServices = read === true || read === false ? [] : read.featureServices;

  const featureServices = read === false ? new Set<string>() : allowed(registry.featureServices.keys(), grantedServices);
  const viewNames = new Set<string>(read === false ? [] : allowed(registry.featureViews.keys(), grantedViews));
  const onDemandViews = new Set<string>(read === false ? [] : allowed(registry.onDemandViews.keys(), grantedViews));
  for (const service of featureServices)
    for (const projection of registry.featureService(service).features)
      (registry.onDemandViews.has(projection.featureView) ? onDemandViews : viewNames).add(projection.featureView);
  const requestSources = new Set<string>();
  for (const name of onDemandViews) {
    const inputs = registry.onDemandSourcesOf(registry.onDemandViews.get(name)!);
    for (const projection of inputs.views) viewNames.add(projection.view.name);
    for (const request of inputs.requestSources) requestSources.add(request.name);
  }

  const entities = new Set<string>();
  const sources = new Set<string>();
  const pushSources = new Set<string>();
  for (const name of viewNames) {
    const view = registry.featureView(name);
    for (const entity of view.entities) entities.add(entity);
    sources.add(registry.sourceOf(view).name);
    if (registry.pushSources.has(view.source)) pushSources.add(view.source);
  }
  const streamSources = new Set(
    [...registry.streamSources.values()].filter((stream) => pushSources.has(stream.pushSource)).map((stream) => stream.name),
  );
  if (all) {
    for (const name of registry.entities.keys()) entities.add(name);
    for (const name of registry.sources.keys()) sources.add(name);
    for (const name of registry.pushSources.keys()) pushSources.add(name);
    for (const name of registry.streamSources.keys()) streamSources.add(name);
    for (const name of registry.requestSources.keys()) requestSources.add(name);
  }
  return { featureViews: viewNames, onDemandViews, featureServices, entities, sources, pushSources, streamSources, requestSources };
}
