import type { Registry } from '../../features/registry.js';
import { asProto } from './feast-objects.js';
import type { FeastObjects, ProtoObject } from './feast-objects.js';

/**
 * `feast apply` against Floe's registry. Floe's features.ts is the one source of truth: an apply
 * whose objects equal what Floe holds (names, entities and join keys, features and their types,
 * TTLs, source tables, services' views) is accepted and changes nothing, so `feast apply` passes
 * on a repository brought over with `floe import feast` + `floe apply`; an apply that would add,
 * change or delete anything is refused, naming the object and what differs.
 */

export const APPLY_STORY =
  "Floe's registry is read-only to Feast: features.ts is the one source of truth. Change the definitions there (or bring Feast's over with `floe import feast` and `floe apply` them), then run `feast apply` again";

/** Feast's placeholder entity of entity-less views, which `feast apply` adds on its own. */
const DUMMY_ENTITY = '__dummy';

type Kind = 'entity' | 'data source' | 'feature view' | 'on-demand feature view' | 'feature service';

/** What differs between an applied object and Floe's, or why it cannot be applied; undefined when they are the same. */
export class ApplyCheck {
  constructor(
    private readonly registry: Registry,
    private readonly objects: FeastObjects,
  ) {}

  entity(applied: ProtoObject): string | undefined {
    const spec = specOf(applied);
    const name = text(spec.name);
    if (name === DUMMY_ENTITY) return undefined;
    const held = this.registry.entities.get(name);
    if (held === undefined) return added('entity', name);
    const mine = specOf(this.objects.entity(held));
    return differences('entity', name, [
      compare('join key', text(spec.joinKey) || name, text(mine.joinKey)),
      compareType('value type', text(spec.valueType), text(mine.valueType)),
    ]);
  }

  dataSource(applied: ProtoObject): string | undefined {
    const name = text(applied.name);
    const mine = this.objects.dataSource(name);
    if (mine === undefined) return added('data source', name);
    const type = text(applied.type);
    const mineType = text(mine.type);
    if (mineType === 'REQUEST_SOURCE' || type === 'REQUEST_SOURCE')
      return differences('data source', name, [
        compare(
          'kind',
          type === 'REQUEST_SOURCE' ? 'a request source' : 'a batch source',
          mineType === 'REQUEST_SOURCE' ? 'a request source' : 'a batch source',
        ),
        compare('fields', fieldList(requestFields(applied)), fieldList(requestFields(mine))),
      ]);
    if (mineType === 'PUSH_SOURCE' || type === 'PUSH_SOURCE')
      return differences('data source', name, [
        compare(
          'kind',
          type === 'PUSH_SOURCE' ? 'a push source' : 'a batch source',
          mineType === 'PUSH_SOURCE' ? 'a push source' : 'a batch source',
        ),
        compare('batch source', text(asProto(applied.batchSource).name), text(asProto(mine.batchSource).name)),
      ]);
    return differences('data source', name, [
      compare('timestamp field', text(applied.timestampField), text(mine.timestampField)),
      compare('created timestamp column', text(applied.createdTimestampColumn), text(mine.createdTimestampColumn)),
      this.compareTable(name, applied),
    ]);
  }

  /** An IcebergSource names its table; Feast's other sources do not (`floe import feast --table` chose theirs). */
  private compareTable(name: string, applied: ProtoObject): string | undefined {
    const table = icebergTable(applied);
    const held = this.registry.sources.get(name)?.table ?? this.registry.pushSources.get(name)?.batchSource;
    return table === undefined || held === undefined ? undefined : compare('table', table, held);
  }

  featureView(applied: ProtoObject): string | undefined {
    const spec = specOf(applied);
    const name = text(spec.name);
    const held = this.registry.featureViews.get(name);
    if (held === undefined) return added('feature view', name);
    const mine = specOf(this.objects.featureView(held));
    const source = text(asProto(spec.streamSource).name) || text(asProto(spec.batchSource).name);
    return differences('feature view', name, [
      compare('entities', list(spec.entities), list(mine.entities)),
      compare('features', fieldList(fields(spec.features)), fieldList(fields(mine.features))),
      compare('ttl', `${seconds(spec.ttl)}s`, `${seconds(mine.ttl)}s`),
      compare('source', source, held.source),
    ]);
  }

  onDemandView(applied: ProtoObject): string | undefined {
    const spec = specOf(applied);
    const name = text(spec.name);
    const held = this.registry.onDemandViews.get(name);
    if (held === undefined) return added('on-demand feature view', name);
    const mine = specOf(this.objects.onDemandView(held));
    return differences('on-demand feature view', name, [
      compare('features', fieldList(fields(spec.features)), fieldList(fields(mine.features))),
      compare('sources', list(Object.keys(asProto(spec.sources)).sort()), list(Object.keys(asProto(mine.sources)).sort())),
    ]);
  }

  featureService(applied: ProtoObject): string | undefined {
    const spec = specOf(applied);
    const name = text(spec.name);
    const held = this.registry.featureServices.get(name);
    if (held === undefined) return added('feature service', name);
    const mine = specOf(this.objects.featureService(held));
    return differences('feature service', name, [compare('features', projections(spec.features), projections(mine.features))]);
  }

  /** Deleting what Floe holds is a change; deleting what it does not hold changes nothing. */
  deletion(kind: Kind, name: string): string | undefined {
    const held =
      kind === 'entity'
        ? this.registry.entities.has(name)
        : kind === 'data source'
          ? this.objects.dataSource(name) !== undefined
          : kind === 'feature view'
            ? this.registry.featureViews.has(name)
            : kind === 'on-demand feature view'
              ? this.registry.onDemandViews.has(name)
              : this.registry.featureServices.has(name);
    return held ? `feast apply would delete ${kind} ${name}, which Floe's features.ts defines` : undefined;
  }
}

function added(kind: Kind, name: string): string {
  return `feast apply would add ${kind} ${name}, which Floe's features.ts does not define`;
}

function differences(kind: Kind, name: string, found: readonly (string | undefined)[]): string | undefined {
  const differing = found.filter((difference): difference is string => difference !== undefined);
  return differing.length === 0 ? undefined : `feast apply would change ${kind} ${name}: ${differing.join('; ')}`;
}

function compare(what: string, applied: string, held: string): string | undefined {
  return applied === held ? undefined : `${what} ${applied || '(none)'} where Floe has ${held || '(none)'}`;
}

/** Feast leaves a type unset (INVALID) where it infers it later: no difference then. */
function compareType(what: string, applied: string, held: string): string | undefined {
  return applied === '' || applied === 'INVALID' ? undefined : compare(what, applied, held);
}

function specOf(object: ProtoObject): ProtoObject {
  return asProto(object.spec);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function list(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(', ') : '';
}

function seconds(duration: unknown): number {
  return Number(asProto(duration).seconds ?? 0);
}

function fields(value: unknown): { name: string; type: string }[] {
  return (Array.isArray(value) ? value : []).map((field) => ({ name: text(asProto(field).name), type: text(asProto(field).valueType) }));
}

function requestFields(source: ProtoObject): { name: string; type: string }[] {
  return fields(asProto(source.requestDataOptions).schema);
}

function fieldList(list: readonly { name: string; type: string }[]): string {
  return list.map((field) => `${field.name} ${field.type}`).join(', ');
}

function projections(value: unknown): string {
  return (Array.isArray(value) ? value : [])
    .map((projection) => {
      const { featureViewName, featureColumns } = asProto(projection);
      return `${text(featureViewName)}[${fields(featureColumns)
        .map((field) => field.name)
        .join(', ')}]`;
    })
    .join(', ');
}

/** The `namespace.table` an IcebergSource names; undefined for Feast's other sources. */
function icebergTable(source: ProtoObject): string | undefined {
  const configuration = asProto(source.customOptions).configuration;
  if (text(source.type) !== 'BATCH_ICEBERG' || !Buffer.isBuffer(configuration)) return undefined;
  try {
    const options = JSON.parse(configuration.toString('utf8')) as { namespace?: unknown; table?: unknown };
    return `${String(options.namespace)}.${String(options.table)}`;
  } catch {
    return undefined;
  }
}
