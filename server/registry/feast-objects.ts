import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import type { EntityDefinition, FeatureViewDefinition, IcebergSourceDefinition } from '../../features/definitions.js';
import { durationSeconds } from '../../features/definitions.js';
import type { FeatureType } from '../../features/feature-types.js';
import { FEAST_TYPES } from '../../features/import/feast-registry-dump.js';
import { feastIcebergTable } from '../../features/import/feast-iceberg-table.js';
import type { OnDemandViewDefinition, RequestSourceDefinition } from '../../features/on-demand.js';
import type { PushSourceDefinition } from '../../features/push-source.js';
import type { Registry } from '../../features/registry.js';
import type { FeatureServiceDefinition } from '../../features/definitions.js';

/**
 * Floe's definitions as Feast's registry protos (feast/core/*.proto), in the object form
 * @grpc/proto-loader encodes: camelCase fields, enums by name, Timestamps and Durations as
 * `{seconds}`. What Feast's remote registry client decodes into its Entity, FeatureView,
 * OnDemandFeatureView, FeatureService and data source classes.
 */

export type ProtoObject = Record<string, unknown>;

/** A decoded message field as an object (an unset one as empty), to read fields from. */
export function asProto(value: unknown): ProtoObject {
  return value !== null && typeof value === 'object' ? (value as ProtoObject) : {};
}

/** How Iceberg sources are shown: Feast's IcebergSource (Feast 0.67 and later), or a FileSource naming the table (older clients, which have no IcebergSource). */
export type IcebergSourceForm = 'iceberg' | 'file';

export interface FeastObjectsOptions {
  readonly project: string;
  /** floe.yaml's catalog: a SQLite SQL catalog is one Feast's IcebergSource can name. */
  readonly catalog: CatalogConfig;
  readonly sourceForm: IcebergSourceForm;
  /** When the definitions were loaded: every object's created and updated time. */
  readonly loadedAt: Date;
}

const FEAST_VALUE_TYPES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(FEAST_TYPES).map(([feast, floe]) => [floe, feast])),
  timestamp: 'UNIX_TIMESTAMP',
  // Feast has no date; UUID is not in every client's ValueType: both travel as text.
  date: 'STRING',
  uuid: 'STRING',
};

const ICEBERG_SOURCE_CLASS = 'feast.infra.data_sources.contrib.iceberg_catalog.iceberg_source.IcebergSource';

/** Feast's ValueType of a Floe type (lists as `<T>_LIST`, maps as MAP, json as JSON, structs as STRUCT). */
export function feastValueType(type: FeatureType): string {
  const scalar = FEAST_VALUE_TYPES[type];
  if (scalar !== undefined) return scalar;
  const list = /^list<(.*)>$/.exec(type);
  if (list !== null) {
    const element = FEAST_VALUE_TYPES[list[1]!];
    return element === undefined ? 'VALUE_LIST' : `${element}_LIST`;
  }
  if (type === 'json') return 'JSON';
  if (type.startsWith('map<')) return 'MAP';
  if (type.startsWith('struct<')) return 'STRUCT';
  return 'INVALID';
}

export class FeastObjects {
  private readonly meta: ProtoObject;

  constructor(
    private readonly registry: Registry,
    private readonly options: FeastObjectsOptions,
  ) {
    const stamp = { seconds: Math.floor(options.loadedAt.getTime() / 1000), nanos: 0 };
    this.meta = { createdTimestamp: stamp, lastUpdatedTimestamp: stamp };
  }

  get project(): string {
    return this.options.project;
  }

  entities(): ProtoObject[] {
    return [...this.registry.entities.values()].map((entity) => this.entity(entity));
  }

  entity(entity: EntityDefinition): ProtoObject {
    // A Feast entity has one join key; Floe's entity of several keys shows its first.
    const [key] = entity.joinKeys;
    return {
      spec: {
        name: entity.name,
        project: this.project,
        valueType: feastValueType(key!.type),
        joinKey: key!.name,
        description: entity.description ?? '',
        tags: entity.tags ?? {},
      },
      meta: this.meta,
    };
  }

  /** Every data source: Iceberg sources, push sources over them, request sources. */
  dataSources(): ProtoObject[] {
    return [
      ...[...this.registry.sources.values()].map((source) => this.icebergSource(source)),
      ...[...this.registry.pushSources.values()].map((push) => this.pushSource(push)),
      ...[...this.registry.requestSources.values()].map((request) => this.requestSource(request)),
    ];
  }

  dataSource(name: string): ProtoObject | undefined {
    const source = this.registry.sources.get(name);
    if (source !== undefined) return this.icebergSource(source);
    const push = this.registry.pushSources.get(name);
    if (push !== undefined) return this.pushSource(push);
    const request = this.registry.requestSources.get(name);
    return request === undefined ? undefined : this.requestSource(request);
  }

  icebergSource(source: IcebergSourceDefinition): ProtoObject {
    const [namespace, table] = splitTable(source.table);
    const common = {
      name: source.name,
      project: this.project,
      timestampField: source.timestampField,
      createdTimestampColumn: source.createdTimestampField ?? '',
      fieldMapping: source.fieldMapping ?? {},
      description: source.description ?? '',
      tags: source.tags ?? {},
      meta: this.meta,
    };
    const iceberg = this.options.sourceForm === 'iceberg' ? icebergCatalog(this.options.catalog) : undefined;
    if (iceberg === undefined)
      return {
        ...common,
        type: 'BATCH_FILE',
        dataSourceClassType: 'feast.infra.offline_stores.file_source.FileSource',
        fileOptions: { uri: `iceberg://${namespace}/${table}` },
      };
    const configuration = {
      catalog_type: 'sql',
      catalog_name: iceberg.catalog_name,
      endpoint: iceberg.uri,
      warehouse: iceberg.warehouse,
      namespace,
      table,
      token_env_var: null,
      credential_vending: false,
      catalog_properties: {},
    };
    return {
      ...common,
      type: 'BATCH_ICEBERG',
      dataSourceClassType: ICEBERG_SOURCE_CLASS,
      customOptions: { configuration: Buffer.from(JSON.stringify(configuration)) },
    };
  }

  pushSource(push: PushSourceDefinition): ProtoObject {
    return {
      name: push.name,
      project: this.project,
      type: 'PUSH_SOURCE',
      dataSourceClassType: 'feast.data_source.PushSource',
      description: push.description ?? '',
      tags: push.tags ?? {},
      batchSource: this.icebergSource(this.registry.source(push.batchSource)),
      meta: this.meta,
    };
  }

  requestSource(request: RequestSourceDefinition): ProtoObject {
    return {
      name: request.name,
      project: this.project,
      type: 'REQUEST_SOURCE',
      dataSourceClassType: 'feast.data_source.RequestSource',
      description: request.description ?? '',
      requestDataOptions: { schema: request.fields.map((field) => ({ name: field.name, valueType: feastValueType(field.type) })) },
      meta: this.meta,
    };
  }

  featureViews(): ProtoObject[] {
    return [...this.registry.featureViews.values()].map((view) => this.featureView(view));
  }

  featureView(view: FeatureViewDefinition): ProtoObject {
    const push = this.registry.pushSources.get(view.source);
    const ttl = durationSeconds(view.ttl);
    return {
      spec: {
        name: view.name,
        project: this.project,
        entities: view.entities,
        features: view.features.map(featureSpec),
        entityColumns: this.registry.joinKeysOf(view).map((key) => ({ name: key.name, valueType: feastValueType(key.type) })),
        tags: view.tags,
        ttl: { seconds: ttl ?? 0, nanos: 0 },
        batchSource: this.icebergSource(this.registry.sourceOf(view)),
        ...(push === undefined ? {} : { streamSource: this.pushSource(push) }),
        online: view.online.enabled,
        // Feast's `offline` asks materialization to write the view's rows back to the offline store
        // (Feast 0.60's client does, through offline_write_batch): they are already in the source table.
        offline: false,
        description: view.description ?? '',
        owner: view.owner ?? '',
      },
      meta: { ...this.meta, materializationIntervals: [] },
    };
  }

  onDemandViews(): ProtoObject[] {
    return [...this.registry.onDemandViews.values()].map((view) => this.onDemandView(view));
  }

  /**
   * An on-demand view with its sources and features. Its compute is JavaScript that Floe runs on
   * its side; Feast's client gets a Python function in its place that says so when run (Feast's
   * remote online and offline stores never run it: Floe answers with the computed features).
   */
  onDemandView(view: OnDemandViewDefinition): ProtoObject {
    const sources: Record<string, ProtoObject> = {};
    for (const source of view.sources) {
      const request = this.registry.requestSources.get(source.name);
      if (request !== undefined && !this.registry.featureViews.has(source.name)) {
        sources[source.name] = { requestDataSource: this.requestSource(request) };
        continue;
      }
      const read = this.registry.featureView(source.name);
      sources[source.name] = {
        featureViewProjection: {
          featureViewName: read.name,
          featureColumns: projected(read.features, source.features).map(featureSpec),
          joinKeyMap: {},
        },
      };
    }
    const udf = computedByFloe(view.name);
    return {
      spec: {
        name: view.name,
        project: this.project,
        features: view.features.map(featureSpec),
        sources,
        featureTransformation: { userDefinedFunction: udf },
        userDefinedFunction: udf,
        mode: 'pandas',
        description: view.description ?? '',
        tags: view.tags,
      },
      meta: this.meta,
    };
  }

  featureServices(): ProtoObject[] {
    return [...this.registry.featureServices.values()].map((service) => this.featureService(service));
  }

  featureService(service: FeatureServiceDefinition): ProtoObject {
    return {
      spec: {
        name: service.name,
        project: this.project,
        features: service.features.map((projection) => {
          const view = this.registry.onDemandViews.get(projection.featureView) ?? this.registry.featureView(projection.featureView);
          const features: readonly { readonly name: string; readonly type: FeatureType; readonly description?: string | undefined }[] =
            view.features;
          return { featureViewName: view.name, featureColumns: projected(features, projection.features).map(featureSpec), joinKeyMap: {} };
        }),
        tags: service.tags,
        description: service.description ?? '',
        owner: service.owner ?? '',
      },
      meta: this.meta,
    };
  }

  projectObject(): ProtoObject {
    return { spec: { name: this.project, description: '' }, meta: this.meta };
  }

  /** The whole registry, as Feast's `Registry` proto (what `feast registry-dump` and Feast's UI read). */
  registryProto(): ProtoObject {
    return {
      entities: this.entities(),
      dataSources: this.dataSources(),
      featureViews: this.featureViews(),
      onDemandFeatureViews: this.onDemandViews(),
      featureServices: this.featureServices(),
      projects: [this.projectObject()],
      projectMetadata: [{ project: this.project, projectUuid: '' }],
      lastUpdated: this.meta.lastUpdatedTimestamp,
      registrySchemaVersion: '1',
      versionId: '',
    };
  }
}

function featureSpec(feature: {
  readonly name: string;
  readonly type: FeatureType;
  readonly description?: string | undefined;
}): ProtoObject {
  return { name: feature.name, valueType: feastValueType(feature.type), description: feature.description ?? '' };
}

/** The features a projection names, in its order; all of them when it names none. */
function projected<T extends { readonly name: string }>(features: readonly T[], names: readonly string[] | undefined): T[] {
  if (names === undefined) return [...features];
  return names.map((name) => features.find((feature) => feature.name === name)!);
}

function splitTable(identifier: string): [string, string] {
  const dot = identifier.lastIndexOf('.');
  return [identifier.slice(0, dot), identifier.slice(dot + 1)];
}

/** The catalog as Feast's IcebergSource names it, when it can: a SQLite SQL catalog (pyiceberg's SqlCatalog reads the same file). */
function icebergCatalog(catalog: CatalogConfig): { catalog_name: string; uri: string; warehouse: string } | undefined {
  try {
    return feastIcebergTable(catalog, '', '');
  } catch {
    return undefined;
  }
}

/**
 * Feast's UserDefinedFunction for a view Floe computes: source text (what Feast 0.67 rehydrates)
 * and a pickle (what older clients load with dill) of a function that raises, saying why.
 */
function computedByFloe(view: string): ProtoObject {
  const message = `On-demand view ${view} is computed by Floe (in JavaScript, features.ts); Feast's client reads its features through Floe's online and offline endpoints and cannot run it itself`;
  const lambda = `lambda inputs: (_ for _ in ()).throw(NotImplementedError(${JSON.stringify(message)}))`;
  // Pickle protocol 0: builtins.eval applied to the lambda's text.
  const pickle = Buffer.from(`cbuiltins\neval\n(V${lambda.replace(/\\/g, '\\u005c').replace(/\n/g, '\\u000a')}\ntR.`, 'utf8');
  return {
    name: view,
    body: pickle,
    bodyText: `def ${view}(inputs):\n    raise NotImplementedError(${JSON.stringify(message)})\n`,
  };
}
