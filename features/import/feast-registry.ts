import { FloeError } from '../../core/errors.js';
import { ON_DEMAND_TYPES } from '../on-demand.js';
import { call, quote } from './definitions-writer.js';
import type { FeastImportNote } from './feast-import-state.js';
import { ImportState, nonEmpty } from './feast-import-state.js';
import type { RegistryDump } from './feast-registry-dump.js';
import { DUMMY_ENTITY, feastFeatureType, onDemandFeatureType, registryDump } from './feast-registry-dump.js';
import { embeddedSources, importEntities, importSources } from './feast-sources.js';

/**
 * A Feast repository as `feast registry-dump` prints it (Feast's registry protos in JSON) turned
 * into a Floe `features.ts`: entities, Iceberg sources in place of Feast's file and table sources
 * (the Iceberg table of each named by the user), push and request sources, feature views with their
 * TTLs and types, on-demand views as stubs carrying their Python, and feature services. What has no
 * Floe equivalent is left out and listed, by name, with the reason.
 */

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

class FeastImporter {
  private readonly state = new ImportState();
  private readonly tables: ReadonlyMap<string, string>;

  constructor(
    private readonly dump: RegistryDump,
    private readonly options: FeastImportOptions,
  ) {
    this.tables = options.tables ?? new Map();
  }

  run(): FeastImport {
    for (const name of this.tables.keys())
      if (!this.dump.dataSources.some((source) => source.name === name) && !embeddedSources(this.dump).has(name))
        throw new FloeError('invalid-input', `--table ${name}=…: the registry has no data source named ${JSON.stringify(name)}`, {
          context: { field: '--table', object: name },
        });
    this.refuseUnknownKinds();
    importEntities(this.state, this.dump);
    importSources(this.state, this.dump, this.tables);
    for (const view of this.dump.featureViews) this.importFeatureView(view.spec);
    for (const view of this.dump.onDemandFeatureViews) this.importOnDemandView(view.spec);
    for (const service of this.dump.featureServices) this.importFeatureService(service.spec);
    return { definitions: this.render(), refusals: this.state.refusals, todos: this.state.todos };
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
        this.state.refuse(`${kind} ${String(name)}`, reason);
      }
    }
  }

  private importFeatureView(view: RegistryDump['featureViews'][number]['spec']): void {
    const object = `feature view ${view.name}`;
    if (!this.state.checkName(object, view.name)) return;
    const entities = view.entities.filter((entity) => entity !== DUMMY_ENTITY);
    if (entities.length === 0) return this.state.refuse(object, 'a view without entities has no Floe equivalent');
    const missingEntity = entities.find((entity) => !this.state.entityTypes.has(entity));
    if (missingEntity !== undefined) return this.state.refuse(object, `its entity ${missingEntity} was not imported`);
    if (view.streamSource !== undefined && view.batchSource === undefined)
      return this.state.refuse(object, 'it reads a stream source, which Floe has no equivalent for');
    const source = this.viewSource(view);
    if (source === undefined) return this.state.refuse(object, 'its source was not imported');
    const features = this.state.mappedFeatures(view.name, view.features, feastFeatureType);
    if (features.length === 0) return this.state.refuse(object, 'none of its features could be imported');
    const ttlSeconds = parseFeastDuration(view.ttl);
    this.state.views.set(
      view.name,
      features.map((feature) => feature.name),
    );
    this.state.writer.add('featureView', view.name, () =>
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
    if (push !== undefined) return this.state.pushSources.has(push) ? push : undefined;
    const batch = view.batchSource?.name;
    return batch !== undefined && this.state.sources.has(batch) ? batch : undefined;
  }

  private importOnDemandView(view: RegistryDump['onDemandFeatureViews'][number]['spec']): void {
    const object = `on-demand view ${view.name}`;
    if (!this.state.checkName(object, view.name)) return;
    const sources: (string | { name: string; features: string[] })[] = [];
    for (const [key, source] of Object.entries(view.sources)) {
      if (source.requestDataSource) {
        if (!this.state.requestSources.has(source.requestDataSource.name))
          return this.state.refuse(object, `its request source ${source.requestDataSource.name} was not imported`);
        sources.push(source.requestDataSource.name);
      } else if (source.featureViewProjection) {
        const name = source.featureViewProjection.featureViewName;
        const kept = this.state.views.get(name);
        if (kept === undefined) return this.state.refuse(object, `its source view ${name} was not imported`);
        const wanted = (source.featureViewProjection.featureColumns ?? []).map((column) => column.name);
        const features = wanted.filter((feature) => kept.includes(feature));
        sources.push(features.length === kept.length ? name : { name, features });
      } else return this.state.refuse(object, `source ${key} is neither a feature view nor a request source`);
    }
    if (sources.length === 0) return this.state.refuse(object, 'it has no sources');
    const features = this.state.mappedFeatures(view.name, view.features, (column) => {
      const type = onDemandFeatureType(column);
      return type === undefined ? { problem: `on-demand features are ${ON_DEMAND_TYPES.join(', ')}, or a list of one` } : { type };
    });
    if (features.length === 0) return this.state.refuse(object, 'none of its features could be imported');
    const python = view.userDefinedFunction?.bodyText ?? view.userDefinedFunction?.body ?? '(the registry holds no source text)';
    this.state.views.set(
      view.name,
      features.map((feature) => feature.name),
    );
    this.state.todos.push({
      object,
      reason: 'its compute is a stub that throws: port its Python (kept beside it as a comment) to TypeScript',
    });
    this.state.writer.add('onDemandView', view.name, () => {
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
    if (!this.state.checkName(object, service.name)) return;
    const features: (string | { featureView: string; features: readonly string[] })[] = [];
    for (const projected of service.features) {
      const kept = this.state.views.get(projected.featureViewName);
      if (kept === undefined) {
        this.state.refuse(`${object}: view ${projected.featureViewName}`, 'the view was not imported, so the service leaves it out');
        continue;
      }
      const wanted = (projected.featureColumns ?? []).map((column) => column.name);
      const selected = wanted.length === 0 ? kept : wanted.filter((feature) => kept.includes(feature));
      if (selected.length === 0) continue;
      features.push(
        selected.length === kept.length ? projected.featureViewName : { featureView: projected.featureViewName, features: selected },
      );
    }
    if (features.length === 0) return this.state.refuse(object, 'none of its views were imported');
    this.state.writer.add('featureService', service.name, () =>
      call('defineFeatureService', {
        name: service.name,
        features,
        description: service.description || undefined,
        tags: nonEmpty(service.tags),
        owner: service.owner || undefined,
      }),
    );
  }

  private render(): string {
    const header = [
      `// Imported from the Feast registry of project ${this.dump.project ?? '(unnamed)'} by \`floe import feast\`.`,
      ...(this.state.refusals.length === 0
        ? []
        : ['// Left out (see each reason):', ...this.state.refusals.map((note) => `//   ${note.object}: ${note.reason}`)]),
    ];
    return this.state.writer.render(header, this.options.floeModule ?? 'floe');
  }
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
