import { z } from 'zod';
import { FloeError } from '../../iceberg/errors.js';
import type { ValueType } from '../definitions.js';
import { IDENTIFIER_PATTERN, tableIdentifierSchema } from '../names.js';
import { ON_DEMAND_TYPES } from '../on-demand.js';
import type { OnDemandType } from '../on-demand.js';

/**
 * A Feast repository as `feast registry-dump` prints it (Feast's registry protos in JSON) turned
 * into a Floe `features.ts`: entities, Iceberg sources in place of Feast's file and table sources
 * (the Iceberg table of each named by the user), push and request sources, feature views with their
 * TTLs and types, on-demand views as stubs carrying their Python, and feature services. What has no
 * Floe equivalent is left out and listed, by name, with the reason.
 */

/** One thing left out of the import, or left for the user to finish, and why. */
export interface FeastImportNote {
  /** What it is in Feast: `feature view driver_hourly_stats`, `feature driver_hourly_stats:driver_config`, … */
  readonly object: string;
  readonly reason: string;
}

export interface FeastImport {
  /** The generated features.ts. */
  readonly definitions: string;
  /** What could not be mapped and is not (or only as a placeholder) in the definitions. */
  readonly refusals: readonly FeastImportNote[];
  /** What is in the definitions but needs the user's hand: on-demand views' compute stubs. */
  readonly todos: readonly FeastImportNote[];
}

export interface FeastImportOptions {
  /** Feast data source name → the Iceberg table (`namespace.table`) that holds its rows. */
  readonly tables?: ReadonlyMap<string, string>;
  /** Where definitions import Floe from (default `floe`). */
  readonly floeModule?: string;
}

const field = z.object({ name: z.string(), valueType: z.string().optional(), description: z.string().optional() }).passthrough();
type FeastField = z.infer<typeof field>;
const meta = { meta: z.unknown().optional() };
const dataSource = z
  .object({
    name: z.string(),
    type: z.string().optional(),
    timestampField: z.string().optional(),
    createdTimestampColumn: z.string().optional(),
    fieldMapping: z.record(z.string(), z.string()).optional(),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
    requestDataOptions: z
      .object({ schema: z.array(field).optional() })
      .passthrough()
      .optional(),
    batchSource: z.object({ name: z.string() }).passthrough().optional(),
    ...meta,
  })
  .passthrough();
type FeastDataSource = z.infer<typeof dataSource>;
const projection = z.object({ featureViewName: z.string(), featureColumns: z.array(field).optional() }).passthrough();
const spec = <T extends z.ZodRawShape>(shape: T) => z.object({ spec: z.object(shape).passthrough(), ...meta }).passthrough();
const registryDump = z
  .object({
    project: z.string().optional(),
    entities: z
      .array(
        spec({
          name: z.string(),
          joinKey: z.string().optional(),
          valueType: z.string().optional(),
          description: z.string().optional(),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
    dataSources: z.array(dataSource).default([]),
    featureViews: z
      .array(
        spec({
          name: z.string(),
          entities: z.array(z.string()).default([]),
          entityColumns: z.array(field).default([]),
          features: z.array(field).default([]),
          ttl: z.string().optional(),
          online: z.boolean().optional(),
          batchSource: dataSource.optional(),
          streamSource: dataSource.optional(),
          description: z.string().optional(),
          owner: z.string().optional(),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
    onDemandFeatureViews: z
      .array(
        spec({
          name: z.string(),
          features: z.array(field).default([]),
          sources: z
            .record(
              z.string(),
              z
                .object({
                  featureViewProjection: projection.optional(),
                  requestDataSource: z.object({ name: z.string() }).passthrough().optional(),
                })
                .passthrough(),
            )
            .default({}),
          userDefinedFunction: z.object({ body: z.string().optional(), bodyText: z.string().optional() }).passthrough().optional(),
          featureTransformation: z.unknown().optional(),
          mode: z.string().optional(),
          description: z.string().optional(),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
    featureServices: z
      .array(
        spec({
          name: z.string(),
          features: z.array(projection).default([]),
          description: z.string().optional(),
          owner: z.string().optional(),
          tags: z.record(z.string(), z.string()).optional(),
        }),
      )
      .default([]),
  })
  .passthrough();
type RegistryDump = z.infer<typeof registryDump>;

/** Feast's scalar value types and the Floe type each becomes; lists, maps, JSON and structs have none. */
const FEAST_TYPES: Readonly<Record<string, ValueType>> = {
  INT32: 'int',
  INT64: 'long',
  FLOAT: 'float',
  DOUBLE: 'double',
  STRING: 'string',
  BYTES: 'binary',
  BOOL: 'boolean',
  UNIX_TIMESTAMP: 'timestamptz',
};

/** Data source types read from a table or files, whose rows an Iceberg table can hold. */
const BATCH_SOURCE_TYPES = new Set([
  'BATCH_FILE',
  'BATCH_BIGQUERY',
  'BATCH_REDSHIFT',
  'BATCH_SNOWFLAKE',
  'BATCH_SPARK',
  'BATCH_TRINO',
  'BATCH_ATHENA',
  'CUSTOM_SOURCE',
]);

/** Feast's own placeholder entity of entity-less views. */
const DUMMY_ENTITY = '__dummy';

/** Where the definitions point a source whose Iceberg table was not named. */
export const PLACEHOLDER_NAMESPACE = 'feast_import_todo';

/** Reads `feast registry-dump`'s output, or says what is wrong with it, naming the file. */
export function parseRegistryDump(text: string, file: string): RegistryDump {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FloeError(
      'invalid-input',
      `${file} is not JSON: expected the output of \`feast registry-dump\` (a Feast registry file must be dumped with it first)`,
      { context: { file } },
    );
  }
  const result = registryDump.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new FloeError(
    'invalid-input',
    `${file} is not a Feast registry dump: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unexpected shape'}`,
    { context: { file, field: issue?.path.join('.') ?? '' } },
  );
}

/** Maps a parsed registry dump to Floe definitions, listing what it leaves out. */
export function importFeastRegistry(dump: RegistryDump, options: FeastImportOptions = {}): FeastImport {
  return new FeastImporter(dump, options).run();
}

interface Block {
  readonly kind: string;
  readonly name: string;
  readonly code: (variable: string) => string;
}

class FeastImporter {
  private readonly refusals: FeastImportNote[] = [];
  private readonly todos: FeastImportNote[] = [];
  private readonly blocks: Block[] = [];
  private readonly used = new Set<string>();
  private readonly tables: ReadonlyMap<string, string>;
  /** Names of what was imported, by kind, so later objects only refer to those. */
  private readonly entityTypes = new Map<string, { joinKey: string; type: ValueType }>();
  private readonly sources = new Set<string>();
  private readonly pushSources = new Set<string>();
  private readonly requestSources = new Map<string, readonly { name: string; type: OnDemandType }[]>();
  /** Imported views (plain and on-demand) and the features each kept. */
  private readonly views = new Map<string, readonly string[]>();

  constructor(
    private readonly dump: RegistryDump,
    private readonly options: FeastImportOptions,
  ) {
    this.tables = options.tables ?? new Map();
  }

  run(): FeastImport {
    for (const name of this.tables.keys())
      if (!this.dump.dataSources.some((source) => source.name === name) && !this.embeddedSources().has(name))
        throw new FloeError('invalid-input', `--table ${name}=…: the registry has no data source named ${JSON.stringify(name)}`, {
          context: { field: '--table', object: name },
        });
    this.refuseUnknownKinds();
    this.importEntities();
    this.importSources();
    for (const view of this.dump.featureViews) this.importFeatureView(view.spec);
    for (const view of this.dump.onDemandFeatureViews) this.importOnDemandView(view.spec);
    for (const service of this.dump.featureServices) this.importFeatureService(service.spec);
    return { definitions: this.render(), refusals: this.refusals, todos: this.todos };
  }

  private refuse(object: string, reason: string): void {
    this.refusals.push({ object, reason });
  }

  /** Registry sections Floe has no counterpart for: stream and label views, and any newer kind. */
  private refuseUnknownKinds(): void {
    const known = new Set(['project', 'entities', 'dataSources', 'featureViews', 'onDemandFeatureViews', 'featureServices', 'infra']);
    const kinds: Record<string, [string, string]> = {
      streamFeatureViews: ['stream feature view', 'stream feature views have no Floe equivalent (push rows to a push source instead)'],
      labelViews: ['label view', 'label views have no Floe equivalent (define a feature view over the labels table)'],
    };
    for (const [key, value] of Object.entries(this.dump)) {
      if (known.has(key) || !Array.isArray(value)) continue;
      for (const item of value as unknown[]) {
        const name = (item as { spec?: { name?: unknown }; name?: unknown }).spec?.name ?? (item as { name?: unknown }).name;
        const [kind, reason] = kinds[key] ?? [key, `Feast's ${key} have no Floe equivalent`];
        this.refuse(`${kind} ${String(name)}`, reason);
      }
    }
  }

  private importEntities(): void {
    for (const { spec: entity } of this.dump.entities) {
      if (entity.name === DUMMY_ENTITY) continue;
      const object = `entity ${entity.name}`;
      const joinKey = entity.joinKey ?? entity.name;
      if (!this.checkName(object, entity.name) || !this.checkName(object, joinKey)) continue;
      const feastType = entity.valueType ?? this.joinKeyTypeFromViews(entity.name, joinKey);
      const type = feastType === undefined ? undefined : FEAST_TYPES[feastType];
      if (type === undefined) {
        this.refuse(
          object,
          feastType === undefined
            ? `the type of join key ${joinKey} is not in the registry (no value_type, and no feature view uses the entity)`
            : `join key ${joinKey} has Feast type ${feastType}, which Floe has no column type for`,
        );
        continue;
      }
      this.entityTypes.set(entity.name, { joinKey, type });
      this.add('entity', entity.name, () =>
        call('defineEntity', {
          name: entity.name,
          joinKeys: [{ name: joinKey, type }],
          description: entity.description,
          tags: nonEmpty(entity.tags),
        }),
      );
    }
  }

  private joinKeyTypeFromViews(entity: string, joinKey: string): string | undefined {
    for (const { spec: view } of this.dump.featureViews)
      if (view.entities.includes(entity)) {
        const column = view.entityColumns.find((candidate) => candidate.name === joinKey);
        if (column?.valueType !== undefined) return column.valueType;
      }
    return undefined;
  }

  /** Batch sources the dump holds only inside push sources and views. */
  private embeddedSources(): Map<string, FeastDataSource> {
    const embedded = new Map<string, FeastDataSource>();
    for (const source of this.dump.dataSources)
      if (source.batchSource) embedded.set(source.batchSource.name, source.batchSource as FeastDataSource);
    for (const { spec: view } of this.dump.featureViews) if (view.batchSource) embedded.set(view.batchSource.name, view.batchSource);
    return embedded;
  }

  private importSources(): void {
    const all = new Map<string, FeastDataSource>(this.embeddedSources());
    for (const source of this.dump.dataSources) all.set(source.name, source);
    const ordered = [...all.values()].sort((a, b) => Number(a.type === 'PUSH_SOURCE') - Number(b.type === 'PUSH_SOURCE'));
    for (const source of ordered) {
      const object = `data source ${source.name}`;
      if (!this.checkName(object, source.name)) continue;
      if (source.type === 'PUSH_SOURCE') this.importPushSource(source);
      else if (source.type === 'REQUEST_SOURCE') this.importRequestSource(source);
      else if (source.type !== undefined && BATCH_SOURCE_TYPES.has(source.type)) this.importBatchSource(source);
      else
        this.refuse(
          object,
          `${source.type ?? 'a source of unknown type'} has no Floe equivalent (Floe reads Iceberg tables; push rows to a push source for streams)`,
        );
    }
  }

  private importBatchSource(source: FeastDataSource): void {
    const object = `data source ${source.name}`;
    const timestampField = source.timestampField ?? (source as { eventTimestampColumn?: string }).eventTimestampColumn;
    if (!timestampField) {
      this.refuse(object, 'it has no timestamp field, which every Floe source needs');
      return;
    }
    let table = this.tables.get(source.name);
    if (table === undefined) {
      table = `${PLACEHOLDER_NAMESPACE}.${source.name}`;
      this.refuse(
        object,
        `no Iceberg table named for it; the definitions say ${table} until you give --table ${source.name}=<namespace.table> (Feast read ${describeLocation(source)})`,
      );
    } else if (!tableIdentifierSchema.safeParse(table).success)
      throw new FloeError('invalid-input', `--table ${source.name}=${table}: the Iceberg table must be "namespace.table"`, {
        context: { field: '--table', object: source.name },
      });
    const mapping = nonEmpty(source.fieldMapping);
    this.sources.add(source.name);
    this.add('source', source.name, () =>
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

  private importPushSource(source: FeastDataSource): void {
    const batch = source.batchSource?.name;
    if (batch === undefined || !this.sources.has(batch)) {
      this.refuse(
        `push source ${source.name}`,
        batch === undefined ? 'it has no batch source' : `its batch source ${batch} was not imported`,
      );
      return;
    }
    this.pushSources.add(source.name);
    this.add('pushSource', source.name, () =>
      call('definePushSource', {
        name: source.name,
        batchSource: batch,
        description: source.description || undefined,
        tags: nonEmpty(source.tags),
      }),
    );
  }

  private importRequestSource(source: FeastDataSource): void {
    const object = `request source ${source.name}`;
    const fields: { name: string; type: OnDemandType }[] = [];
    for (const column of source.requestDataOptions?.schema ?? []) {
      const type = onDemandType(column);
      if (type === undefined || !IDENTIFIER_PATTERN.test(column.name)) {
        this.refuse(object, `field ${column.name} (${column.valueType ?? 'no type'}): on-demand inputs are ${ON_DEMAND_TYPES.join(', ')}`);
        return;
      }
      fields.push({ name: column.name, type });
    }
    if (fields.length === 0) {
      this.refuse(object, 'it declares no fields');
      return;
    }
    this.requestSources.set(source.name, fields);
    this.add('requestSource', source.name, () => call('defineRequestSource', { name: source.name, fields }));
  }

  private importFeatureView(view: RegistryDump['featureViews'][number]['spec']): void {
    const object = `feature view ${view.name}`;
    if (!this.checkName(object, view.name)) return;
    const entities = view.entities.filter((entity) => entity !== DUMMY_ENTITY);
    if (entities.length === 0) return this.refuse(object, 'a view without entities has no Floe equivalent');
    const missingEntity = entities.find((entity) => !this.entityTypes.has(entity));
    if (missingEntity !== undefined) return this.refuse(object, `its entity ${missingEntity} was not imported`);
    if (view.streamSource !== undefined && view.batchSource === undefined)
      return this.refuse(object, 'it reads a stream source, which Floe has no equivalent for');
    const source = this.viewSource(view);
    if (source === undefined) return this.refuse(object, 'its source was not imported');
    const features = this.mappedFeatures(view.name, view.features, (column) => {
      const type = column.valueType === undefined ? undefined : FEAST_TYPES[column.valueType];
      return type === undefined ? `Feast type ${column.valueType ?? '(none)'} has no Floe column type` : type;
    });
    if (features.length === 0) return this.refuse(object, 'none of its features could be imported');
    const ttlSeconds = parseFeastDuration(view.ttl);
    this.views.set(
      view.name,
      features.map((feature) => feature.name),
    );
    this.add('featureView', view.name, () =>
      call('defineFeatureView', {
        name: view.name,
        entities,
        source,
        features,
        ttl: ttlSeconds === null ? undefined : durationOf(ttlSeconds),
        online: view.online === false ? { enabled: false } : undefined,
        tags: nonEmpty(view.tags),
        description: view.description || undefined,
        owner: view.owner || undefined,
      }),
    );
  }

  /** The source a view reads: its push source (Feast stores it as the view's stream source) or its batch source. */
  private viewSource(view: RegistryDump['featureViews'][number]['spec']): string | undefined {
    const push = view.streamSource?.type === 'PUSH_SOURCE' ? view.streamSource.name : undefined;
    if (push !== undefined) return this.pushSources.has(push) ? push : undefined;
    const batch = view.batchSource?.name;
    return batch !== undefined && this.sources.has(batch) ? batch : undefined;
  }

  private importOnDemandView(view: RegistryDump['onDemandFeatureViews'][number]['spec']): void {
    const object = `on-demand view ${view.name}`;
    if (!this.checkName(object, view.name)) return;
    const sources: (string | { name: string; features: string[] })[] = [];
    for (const [key, source] of Object.entries(view.sources)) {
      if (source.requestDataSource) {
        if (!this.requestSources.has(source.requestDataSource.name))
          return this.refuse(object, `its request source ${source.requestDataSource.name} was not imported`);
        sources.push(source.requestDataSource.name);
      } else if (source.featureViewProjection) {
        const name = source.featureViewProjection.featureViewName;
        const kept = this.views.get(name);
        if (kept === undefined) return this.refuse(object, `its source view ${name} was not imported`);
        const wanted = (source.featureViewProjection.featureColumns ?? []).map((column) => column.name);
        const features = wanted.filter((feature) => kept.includes(feature));
        sources.push(features.length === kept.length ? name : { name, features });
      } else return this.refuse(object, `source ${key} is neither a feature view nor a request source`);
    }
    if (sources.length === 0) return this.refuse(object, 'it has no sources');
    const features = this.mappedFeatures(
      view.name,
      view.features,
      (column) => onDemandType(column) ?? `on-demand features are ${ON_DEMAND_TYPES.join(', ')}`,
    );
    if (features.length === 0) return this.refuse(object, 'none of its features could be imported');
    const python = view.userDefinedFunction?.bodyText ?? view.userDefinedFunction?.body ?? '(the registry holds no source text)';
    this.views.set(
      view.name,
      features.map((feature) => feature.name),
    );
    this.todos.push({ object, reason: 'its compute is a stub that throws: port its Python (kept beside it as a comment) to TypeScript' });
    this.add('onDemandView', view.name, () => {
      const definition = call('defineOnDemandView', {
        name: view.name,
        sources,
        features,
        description: view.description || undefined,
        tags: nonEmpty(view.tags),
      });
      const stub = [
        `  // TODO(feast import): port ${view.name}'s Python (${view.mode ?? 'pandas'} mode) below to TypeScript; until then it throws.`,
        ...python
          .trimEnd()
          .split('\n')
          .map((line) => `  //   ${line}`.trimEnd()),
        `  compute: () => {`,
        `    throw new Error(${quote(`TODO(feast import): on-demand view ${view.name} is not ported from Python yet`)});`,
        `  },`,
        `})`,
      ];
      return `${definition.slice(0, -'\n})'.length)}\n${stub.join('\n')}`;
    });
  }

  private importFeatureService(service: RegistryDump['featureServices'][number]['spec']): void {
    const object = `feature service ${service.name}`;
    if (!this.checkName(object, service.name)) return;
    const features: (string | { featureView: string; features: readonly string[] })[] = [];
    for (const projected of service.features) {
      const kept = this.views.get(projected.featureViewName);
      if (kept === undefined) {
        this.refuse(`${object}: view ${projected.featureViewName}`, 'the view was not imported, so the service leaves it out');
        continue;
      }
      const wanted = (projected.featureColumns ?? []).map((column) => column.name);
      const selected = wanted.length === 0 ? kept : wanted.filter((feature) => kept.includes(feature));
      if (selected.length === 0) continue;
      features.push(
        selected.length === kept.length ? projected.featureViewName : { featureView: projected.featureViewName, features: selected },
      );
    }
    if (features.length === 0) return this.refuse(object, 'none of its views were imported');
    this.add('featureService', service.name, () =>
      call('defineFeatureService', {
        name: service.name,
        features,
        description: service.description || undefined,
        tags: nonEmpty(service.tags),
        owner: service.owner || undefined,
      }),
    );
  }

  /** The features a Floe type is found for; each other one refused, named `view:feature`. */
  private mappedFeatures<T extends string>(view: string, columns: readonly FeastField[], typeOf: (column: FeastField) => T | string) {
    const features: { name: string; type: T; description?: string }[] = [];
    for (const column of columns) {
      const type = typeOf(column);
      if (!IDENTIFIER_PATTERN.test(column.name))
        this.refuse(`feature ${view}:${column.name}`, 'the name is not a Floe name (letters, digits, underscores)');
      else if (!(Object.values(FEAST_TYPES) as string[]).includes(type)) this.refuse(`feature ${view}:${column.name}`, type);
      else features.push({ name: column.name, type: type as T, ...(column.description ? { description: column.description } : {}) });
    }
    return features;
  }

  private checkName(object: string, name: string): boolean {
    if (IDENTIFIER_PATTERN.test(name) && name.length <= 128) return true;
    this.refuse(
      object,
      `${JSON.stringify(name)} is not a Floe name (letters, digits and underscores, not starting with a digit, at most 128)`,
    );
    return false;
  }

  private add(kind: string, name: string, code: (variable: string) => string): void {
    this.blocks.push({ kind, name, code });
  }

  private render(): string {
    const functions = [...new Set(this.blocks.map((block) => FUNCTIONS[block.kind]!))].sort();
    const lines = [
      `// Imported from the Feast registry of project ${this.dump.project ?? '(unnamed)'} by \`floe import feast\`.`,
      ...(this.refusals.length === 0
        ? []
        : ['// Left out (see each reason):', ...this.refusals.map((note) => `//   ${note.object}: ${note.reason}`)]),
      ...(functions.length === 0 ? [] : [`import { ${functions.join(', ')} } from ${quote(this.options.floeModule ?? 'floe')};`]),
    ];
    for (const block of this.blocks) {
      const variable = this.variableName(block.name, block.kind);
      lines.push('', `export const ${variable} = ${block.code(variable)};`);
    }
    return `${lines.join('\n')}\n`;
  }

  private variableName(name: string, kind: string): string {
    const camel = name.replace(/_+([A-Za-z0-9])/g, (_, letter: string) => letter.toUpperCase()).replace(/^_+/, '');
    let candidate = /^[A-Za-z]/.test(camel) && !RESERVED.has(camel) ? camel : `${kind}${camel.charAt(0).toUpperCase()}${camel.slice(1)}`;
    if (this.used.has(candidate)) candidate = `${candidate}${kind.charAt(0).toUpperCase()}${kind.slice(1)}`;
    for (let suffix = 2; this.used.has(candidate); suffix++) candidate = `${candidate}${suffix}`;
    this.used.add(candidate);
    return candidate;
  }
}

const FUNCTIONS: Readonly<Record<string, string>> = {
  entity: 'defineEntity',
  source: 'defineIcebergSource',
  pushSource: 'definePushSource',
  requestSource: 'defineRequestSource',
  featureView: 'defineFeatureView',
  onDemandView: 'defineOnDemandView',
  featureService: 'defineFeatureService',
};

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(
    ' ',
  ),
);

function onDemandType(column: FeastField): OnDemandType | undefined {
  const type = column.valueType === undefined ? undefined : FEAST_TYPES[column.valueType];
  return (ON_DEMAND_TYPES as readonly string[]).includes(type ?? '') ? (type as OnDemandType) : undefined;
}

function nonEmpty(record: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  return record === undefined || Object.keys(record).length === 0 ? undefined : record;
}

function describeLocation(source: FeastDataSource): string {
  for (const [key, value] of Object.entries(source))
    if (key.endsWith('Options') && typeof value === 'object' && value !== null) {
      const options = value as Record<string, unknown>;
      const where = options.uri ?? options.table ?? options.path ?? options.query;
      if (typeof where === 'string') return `${source.type ?? 'a source'} ${where}`;
    }
  return source.type ?? 'an unknown location';
}

/** Seconds of a protobuf JSON Duration (`"86400s"`, `"1.5s"`); null for none or zero (Feast: no TTL). */
export function parseFeastDuration(text: string | undefined): number | null {
  if (text === undefined) return null;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(text);
  if (!match)
    throw new FloeError('invalid-input', `TTL ${JSON.stringify(text)} is not a protobuf duration such as "86400s"`, {
      context: { field: 'ttl' },
    });
  const seconds = Number(match[1]);
  return seconds > 0 ? seconds : null;
}

/** Seconds as Floe's duration, in the largest whole units: 86400 → { days: 1 }, 5400 → { hours: 1, minutes: 30 }. */
export function durationOf(totalSeconds: number): Record<string, number> {
  const units: [string, number][] = [
    ['days', 86_400],
    ['hours', 3_600],
    ['minutes', 60],
  ];
  const duration: Record<string, number> = {};
  let rest = totalSeconds;
  for (const [unit, size] of units)
    if (rest >= size) {
      duration[unit] = Math.floor(rest / size);
      rest -= duration[unit] * size;
    }
  if (rest > 0) duration.seconds = rest;
  return duration;
}

/** `fn({...})` with the object's defined fields as TypeScript, one per line, as Floe's own sources are formatted. */
function call(fn: string, fields: Record<string, unknown>): string {
  const body = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => {
      const short = `  ${key}: ${literal(value)},`;
      // A long list of objects (features, fields), one item per line.
      if (short.length <= 100 || !Array.isArray(value)) return short;
      return [`  ${key}: [`, ...value.map((item) => `    ${literal(item)},`), '  ],'].join('\n');
    });
  return `${fn}({\n${body.join('\n')}\n})`;
}

function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `{ ${Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${IDENTIFIER_PATTERN.test(key) ? key : quote(key)}: ${literal(item)}`)
      .join(', ')} }`;
  return typeof value === 'string' ? quote(value) : JSON.stringify(value);
}

/** A single-quoted TypeScript string literal (the project's style), escaped as JSON escapes. */
function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'")}'`;
}
