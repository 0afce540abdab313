/**
 * A Feast registry's entities and data sources as Floe definitions: batch sources become Iceberg
 * sources (the table of each named by the user), push and request sources keep their kind.
 */
import { FloeError } from '../../core/errors.js';
import { IDENTIFIER_PATTERN, tableIdentifierSchema } from '../names.js';
import { ON_DEMAND_TYPES } from '../on-demand.js';
import type { OnDemandFeatureType } from '../on-demand.js';
import { call } from './definitions-writer.js';
import type { ImportState } from './feast-import-state.js';
import { nonEmpty } from './feast-import-state.js';
import type { FeastDataSource, RegistryDump } from './feast-registry-dump.js';
import { BATCH_SOURCE_TYPES, describeLocation, DUMMY_ENTITY, FEAST_TYPES, onDemandFeatureType } from './feast-registry-dump.js';

/** Where the definitions point a source whose Iceberg table was not named. */
export const PLACEHOLDER_NAMESPACE = 'feast_import_todo';

export function importEntities(state: ImportState, dump: RegistryDump): void {
  for (const { spec: entity } of dump.entities) {
    if (entity.name === DUMMY_ENTITY) continue;
    const object = `entity ${entity.name}`;
    const joinKey = entity.joinKey ?? entity.name;
    if (!state.checkName(object, entity.name) || !state.checkName(object, joinKey)) continue;
    const feastType = entity.valueType ?? joinKeyTypeFromViews(dump, entity.name, joinKey);
    const type = feastType === undefined ? undefined : FEAST_TYPES[feastType];
    if (type === undefined) {
      state.refuse(
        object,
        feastType === undefined
          ? `the type of join key ${joinKey} is not in the registry (no value_type, and no feature view uses the entity)`
          : `join key ${joinKey} has Feast type ${feastType}, which Floe has no column type for`,
      );
      continue;
    }
    state.entityTypes.set(entity.name, { joinKey, type });
    state.writer.add('entity', entity.name, () =>
      call('defineEntity', {
        name: entity.name,
        joinKeys: [{ name: joinKey, type }],
        description: entity.description,
        tags: nonEmpty(entity.tags),
      }),
    );
  }
}

function joinKeyTypeFromViews(dump: RegistryDump, entity: string, joinKey: string): string | undefined {
  for (const { spec: view } of dump.featureViews)
    if (view.entities.includes(entity)) {
      const column = view.entityColumns.find((candidate) => candidate.name === joinKey);
      if (column?.valueType !== undefined) return column.valueType;
    }
  return undefined;
}

/** Batch sources the dump holds only inside push sources and views. */
export function embeddedSources(dump: RegistryDump): Map<string, FeastDataSource> {
  const embedded = new Map<string, FeastDataSource>();
  for (const source of dump.dataSources)
    if (source.batchSource) embedded.set(source.batchSource.name, source.batchSource as FeastDataSource);
  for (const { spec: view } of dump.featureViews) if (view.batchSource) embedded.set(view.batchSource.name, view.batchSource);
  return embedded;
}

export function importSources(state: ImportState, dump: RegistryDump, tables: ReadonlyMap<string, string>): void {
  const all = new Map<string, FeastDataSource>(embeddedSources(dump));
  for (const source of dump.dataSources) all.set(source.name, source);
  const ordered = [...all.values()].sort((a, b) => Number(a.type === 'PUSH_SOURCE') - Number(b.type === 'PUSH_SOURCE'));
  for (const source of ordered) {
    const object = `data source ${source.name}`;
    if (!state.checkName(object, source.name)) continue;
    if (source.type === 'PUSH_SOURCE') importPushSource(state, source);
    else if (source.type === 'REQUEST_SOURCE') importRequestSource(state, source);
    else if (source.type !== undefined && BATCH_SOURCE_TYPES.has(source.type)) importBatchSource(state, source, tables);
    else
      state.refuse(
        object,
        `${source.type ?? 'a source of unknown type'} has no Floe equivalent (Floe reads Iceberg tables; push rows to a push source for streams)`,
      );
  }
}

function importBatchSource(state: ImportState, source: FeastDataSource, tables: ReadonlyMap<string, string>): void {
  const object = `data source ${source.name}`;
  const timestampField = source.timestampField ?? (source as { eventTimestampColumn?: string }).eventTimestampColumn;
  if (!timestampField) {
    state.refuse(object, 'it has no timestamp field, which every Floe source needs');
    return;
  }
  let table = tables.get(source.name);
  if (table === undefined) {
    table = `${PLACEHOLDER_NAMESPACE}.${source.name}`;
    state.refuse(
      object,
      `no Iceberg table named for it; the definitions say ${table} until you give --table ${source.name}=<namespace.table> (Feast read ${describeLocation(source)})`,
    );
  } else if (!tableIdentifierSchema.safeParse(table).success)
    throw new FloeError('invalid-input', `--table ${source.name}=${table}: the Iceberg table must be "namespace.table"`, {
      context: { field: '--table', object: source.name },
    });
  const mapping = nonEmpty(source.fieldMapping);
  state.sources.add(source.name);
  state.writer.add('source', source.name, () =>
    call('defineIcebergSource', {
      name: source.name,
      table,
      timestampField,
      createdTimestampField: source.createdTimestampColumn || undefined,
      fieldMapping: mapping,
      description: source.description || undefined,
      tags: nonEmpty(source.tags),
    }),
  );
}

function importPushSource(state: ImportState, source: FeastDataSource): void {
  const batch = source.batchSource?.name;
  if (batch === undefined || !state.sources.has(batch)) {
    state.refuse(
      `push source ${source.name}`,
      batch === undefined ? 'it has no batch source' : `its batch source ${batch} was not imported`,
    );
    return;
  }
  state.pushSources.add(source.name);
  state.writer.add('pushSource', source.name, () =>
    call('definePushSource', {
      name: source.name,
      batchSource: batch,
      description: source.description || undefined,
      tags: nonEmpty(source.tags),
    }),
  );
}

function importRequestSource(state: ImportState, source: FeastDataSource): void {
  const object = `request source ${source.name}`;
  const fields: { name: string; type: OnDemandFeatureType }[] = [];
  for (const column of source.requestDataOptions?.schema ?? []) {
    const type = onDemandFeatureType(column);
    if (type === undefined || !IDENTIFIER_PATTERN.test(column.name)) {
      state.refuse(
        object,
        `field ${column.name} (${column.valueType ?? 'no type'}): request fields are ${ON_DEMAND_TYPES.join(', ')}, or a list of one`,
      );
      return;
    }
    fields.push({ name: column.name, type });
  }
  if (fields.length === 0) {
    state.refuse(object, 'it declares no fields');
    return;
  }
  state.requestSources.set(source.name, fields);
  state.writer.add('requestSource', source.name, () => call('defineRequestSource', { name: source.name, fields }));
}
