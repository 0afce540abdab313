import { z } from 'zod';
import { MAX_NAME_LENGTH, quotedName } from '../iceberg/catalog/identifier.js';
import type { Expression } from '../iceberg/expressions/expression.js';
import { FloeError } from '../core/errors.js';
import { IN_FLIGHT_FILE_AGE_MS } from '../iceberg/maintenance/in-flight-file-age.js';
import { aggregationSchema, expandAggregations } from './aggregations.js';
import { featureTypeSchema, PRIMITIVE_FEATURE_TYPES } from './feature-types.js';
import { identifierSchema, tableIdentifierSchema } from './names.js';
import { RESERVED_ONLINE_COLUMNS } from './online-columns.js';

/**
 * What users define: entities, Iceberg sources and feature views, in the spirit of Feast's objects.
 * `define*` functions validate eagerly so a mistake is reported where it is made, naming the
 * object and the field.
 */

const name = identifierSchema;

/** A join key's type, and a feature's when it is primitive. */
const valueType = z.enum(PRIMITIVE_FEATURE_TYPES);
export type ValueType = z.infer<typeof valueType>;

const duration = z
  .object({
    days: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
    seconds: z.number().nonnegative().optional(),
  })
  .strict();
export type Duration = z.infer<typeof duration>;

const tags = z.record(z.string(), z.string());

const entitySchema = z
  .object({
    name,
    joinKeys: z.array(z.object({ name, type: valueType }).strict()).min(1),
    description: z.string().optional(),
    tags: tags.optional(),
  })
  .strict();

/**
 * A filter literal as a definition holds it: JSON's own values, so a definition round-trips through
 * the registry document unchanged. A Date becomes its ISO text and a bigint a number (when exact),
 * both of which iceberg/expressions' `bind` accepts for timestamp and long columns.
 */
const filterLiteral = z.union([
  z.string(),
  z.number().refine((value) => Number.isFinite(value), 'must be a finite number'),
  z.boolean(),
  z.date().transform((value) => value.toISOString()),
  z
    .bigint()
    .refine((value) => Number.isSafeInteger(Number(value)), 'a bigint filter value must be within ±2^53')
    .transform((value) => Number(value)),
]);
const columnName = z.string().min(1);
/** iceberg/expressions' unbound Expression, checked in shape here and against the table when planned. */
const filterSchema: z.ZodType<Expression> = z.lazy(() =>
  z.union([
    z.object({ op: z.enum(['true', 'false']) }).strict(),
    z.object({ op: z.enum(['and', 'or']), args: z.array(filterSchema) }).strict(),
    z.object({ op: z.literal('not'), arg: filterSchema }).strict(),
    z.object({ op: z.enum(['isNull', 'notNull', 'isNaN', 'notNaN']), column: columnName }).strict(),
    z
      .object({
        op: z.enum(['eq', 'notEq', 'lt', 'ltEq', 'gt', 'gtEq', 'startsWith', 'notStartsWith']),
        column: columnName,
        value: filterLiteral,
      })
      .strict(),
    z.object({ op: z.enum(['in', 'notIn']), column: columnName, values: z.array(filterLiteral) }).strict(),
  ]),
) as z.ZodType<Expression>;

const tableIdentifier = tableIdentifierSchema;

/**
 * When a table is compacted by a Temporal Schedule (`floe schedule apply`): a view's online table
 * (id `floe-compact-<view>`), or a source's table (id `floe-compact-source-<source>`), by the
 * compact workflow with these settings. Overlapping runs are skipped.
 */
const compactionScheduleSchema = z
  .object({
    every: duration,
    offset: duration.optional(),
    /** Rewrite a partition with more than this many data files (a source's: small ones), or any delete file. */
    minFiles: z.number().int().nonnegative().optional(),
    /** Keep snapshots and unreferenced files younger than this (default 3 days; at least a day, IN_FLIGHT_FILE_AGE_MS). */
    retention: duration.optional(),
    retainLast: z.number().int().positive().optional(),
    paused: z.boolean().default(false),
  })
  .strict()
  .refine((schedule) => durationSeconds(schedule.every) !== null, { message: 'every must be longer than zero', path: ['every'] })
  .refine((schedule) => schedule.retention === undefined || (durationSeconds(schedule.retention) ?? 0) * 1000 >= IN_FLIGHT_FILE_AGE_MS, {
    message: `retention must be at least ${IN_FLIGHT_FILE_AGE_MS / 3_600_000} hours: a scheduled compaction removes the unreferenced files older than it, and a file may wait that long for the commit still in flight (a materialization's, a training set's) that will refer to it`,
    path: ['retention'],
  });
export type CompactionScheduleDefinition = z.infer<typeof compactionScheduleSchema>;

const sourceSchema = z
  .object({
    name,
    table: tableIdentifier,
    timestampField: z.string().min(1),
    createdTimestampField: z.string().min(1).optional(),
    /** Source column name → feature or key name, for sources whose columns are named differently. */
    fieldMapping: z.record(z.string(), z.string()).optional(),
    /**
     * Only rows matching this filter belong to the source (over the table's own column names). It
     * prunes files too, as any Iceberg scan filter does.
     */
    filter: filterSchema.optional(),
    /**
     * Compact the source table on a schedule: merge its small files (pushes and streaming appends
     * add one per batch) and fold its deletes, then expire old snapshots. Replaces change no row,
     * so the views' incremental runs read on from their cursors.
     */
    compaction: compactionScheduleSchema.optional(),
    description: z.string().optional(),
    tags: tags.optional(),
  })
  .strict();

const onlineSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** The online table; `<online namespace>.<view name>` when absent. */
    table: tableIdentifier.optional(),
    /** Partition by bucket(buckets, first join key); off only for an hour-partitioned table. */
    bucketed: z.boolean().default(true),
    buckets: z.number().int().min(1).max(1_000_000).default(256),
    /** Also (or, with `bucketed: false`, only) partition by hour(event_ts), for views with many updates per entity. */
    hourly: z.boolean().default(false),
    /** How far back the online table keeps what reads need; an aggregation window may not be longer. Default: none. */
    retention: duration.optional(),
  })
  .strict()
  .refine((online) => online.bucketed || online.hourly, {
    message: 'an online table is partitioned by bucket, by hour or both: set bucketed or hourly',
    path: ['bucketed'],
  });

/**
 * When a view is materialized by a Temporal Schedule (`floe schedule apply`). Each run covers
 * [the view's watermark, the scheduled time); a run with no watermark to start from (the first one,
 * or a backfill of a time already covered) covers `[scheduled time − window, scheduled time)`,
 * where `window` is `initialWindow`, or `every` when that is not given.
 */
const overlapPolicies = ['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'terminateOther'] as const;
const scheduleSchema = z
  .object({
    /** Run every this long, at multiples of it since the Unix epoch (shifted by `offset`). */
    every: duration.optional(),
    offset: duration.optional(),
    /** Or: cron expressions (UTC), e.g. `0 * * * *`. Needs `initialWindow`. */
    cron: z.array(z.string().min(1)).min(1).optional(),
    initialWindow: duration.optional(),
    /** How far back missed runs are still taken after an outage (Temporal's catch-up window). */
    catchupWindow: duration.default({ days: 1 }),
    /**
     * What a run does when the previous one is still going. `allowAll` is not offered: two runs
     * at once would read the same watermark and materialize overlapping windows.
     */
    overlap: z.enum(overlapPolicies).default('bufferAll'),
    /** Only when the schedule is created; afterwards use `floe schedule pause|resume`. */
    paused: z.boolean().default(false),
  })
  .strict()
  .refine((schedule) => (schedule.every === undefined) !== (schedule.cron === undefined), { message: 'give exactly one of every and cron' })
  .refine((schedule) => durationSeconds(schedule.every) !== null || schedule.every === undefined, {
    message: 'every must be longer than zero',
    path: ['every'],
  })
  .refine((schedule) => schedule.cron === undefined || durationSeconds(schedule.initialWindow) !== null, {
    message: 'a cron schedule needs initialWindow (how far back its first run reaches)',
    path: ['initialWindow'],
  });
export type ScheduleDefinition = z.infer<typeof scheduleSchema>;
export type OverlapPolicyName = (typeof overlapPolicies)[number];

/**
 * When the view's online/offline consistency is checked by a Temporal Schedule (`floe schedule
 * apply`, id `floe-consistency-<view>`): the consistency workflow, each run sampling other entities.
 */
const consistencyScheduleSchema = z
  .object({
    every: duration,
    offset: duration.optional(),
    /** Entities sampled per run (default 1000). */
    sample: z.number().int().positive().optional(),
    /** Mismatching entities named per feature (default 10). */
    examples: z.number().int().positive().optional(),
    paused: z.boolean().default(false),
  })
  .strict()
  .refine((schedule) => durationSeconds(schedule.every) !== null, { message: 'every must be longer than zero', path: ['every'] });
export type ConsistencyScheduleDefinition = z.infer<typeof consistencyScheduleSchema>;

const featureSchema = z.object({ name, type: featureTypeSchema, description: z.string().optional() }).strict();
export type FeatureDefinition = z.infer<typeof featureSchema>;

const featureViewSchema = z
  .object({
    name,
    entities: z.array(name).min(1),
    source: name,
    /** Plain features: each entity's latest value. A view has features or aggregations, not both. */
    features: z.array(featureSchema).min(1).optional(),
    /** Windowed aggregations (features/aggregations.ts); their features are named `<column>_<function>_<window>`. */
    aggregations: z.array(aggregationSchema).min(1).optional(),
    ttl: duration.optional(),
    /**
     * How long after its event time a row is expected to be in the source. No window of this view
     * ends after now − delay, so its watermark never passes the present (default 0).
     */
    delay: duration.optional(),
    /**
     * How late rows may still arrive, for sources whose snapshot history is out of reach (expired):
     * each scheduled or incremental run also restates [watermark − lateness, watermark).
     */
    lateness: duration.optional(),
    /** Push-fed aggregated views: how long after its event time an event still counts online at once; at most `delay`. */
    allowedLateness: duration.optional(),
    online: onlineSchema.default({ enabled: true, bucketed: true, buckets: 256, hourly: false }),
    schedule: scheduleSchema.optional(),
    compaction: compactionScheduleSchema.optional(),
    consistency: consistencyScheduleSchema.optional(),
    tags: tags.default({}),
    description: z.string().optional(),
    owner: z.string().optional(),
  })
  .strict();

/** `view` (all its features), `view:feature`, or `{ featureView, features? }`. */
const featureReference = z.union([
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z_][A-Za-z0-9_]*)?$/, 'must be "view" or "view:feature"')
    .refine(
      (reference) => reference.split(':').every((part) => part.length <= MAX_NAME_LENGTH),
      `view and feature names must each be at most ${MAX_NAME_LENGTH} characters`,
    ),
  z.object({ featureView: name, features: z.array(name).min(1).optional() }).strict(),
]);

const featureServiceSchema = z
  .object({
    name,
    features: z.array(featureReference).min(1),
    description: z.string().optional(),
    tags: tags.default({}),
    owner: z.string().optional(),
  })
  .strict();

export type EntityDefinition = z.infer<typeof entitySchema> & { readonly kind: 'entity' };
export type IcebergSourceDefinition = z.infer<typeof sourceSchema> & { readonly kind: 'source' };
/** A view as validated: `features` always lists every feature, those its aggregations yield included. */
export type FeatureViewDefinition = Omit<z.infer<typeof featureViewSchema>, 'features'> & {
  readonly kind: 'featureView';
  features: FeatureDefinition[];
};
export type FeatureViewInput = z.input<typeof featureViewSchema>;
/** A named group of features, as in Feast: what a model is trained on and served with. */
export type FeatureServiceDefinition = {
  readonly kind: 'featureService';
  readonly name: string;
  readonly features: readonly FeatureViewProjection[];
} & Omit<z.infer<typeof featureServiceSchema>, 'features' | 'name'>;
/** Some features of one view; all of them when `features` is absent. */
export interface FeatureViewProjection {
  readonly featureView: string;
  readonly features?: readonly string[];
}
export type FeatureServiceInput = Omit<z.input<typeof featureServiceSchema>, 'features'> & {
  readonly features: readonly (z.input<typeof featureReference> | FeatureViewDefinition)[];
};
export type FilterExpression = Expression;

export function defineEntity(input: z.input<typeof entitySchema>): EntityDefinition {
  return { kind: 'entity', ...parse(entitySchema, input, 'entity') };
}

export function defineIcebergSource(input: z.input<typeof sourceSchema>): IcebergSourceDefinition {
  return { kind: 'source', ...parse(sourceSchema, input, 'source') };
}

export function defineFeatureView(input: FeatureViewInput): FeatureViewDefinition {
  const parsed = parse(featureViewSchema, input, 'feature view');
  if (parsed.features !== undefined && parsed.aggregations !== undefined)
    throw invalid(
      `feature view ${parsed.name}: a view has plain features or aggregations, not both; put the aggregations in a view of their own`,
      parsed.name,
      'aggregations',
    );
  if (parsed.features === undefined && parsed.aggregations === undefined)
    throw invalid(`feature view ${parsed.name}: give features or aggregations`, parsed.name, 'features');
  const features =
    parsed.features ?? expandAggregations(parsed.aggregations ?? []).map((feature) => ({ name: feature.name, type: feature.type }));
  const view = { ...parsed, features };
  const seen = new Set<string>();
  for (const feature of view.features) {
    if (RESERVED_ONLINE_COLUMNS.has(feature.name)) {
      throw invalid(
        `feature view ${view.name}: feature name ${JSON.stringify(feature.name)} is reserved for the online table's own column`,
        view.name,
        `features.${feature.name}`,
      );
    }
    if (seen.has(feature.name))
      throw invalid(
        `feature view ${view.name}: feature ${JSON.stringify(feature.name)} is defined twice`,
        view.name,
        `features.${feature.name}`,
      );
    seen.add(feature.name);
  }
  const beyondRetention = windowBeyondRetention(view);
  if (beyondRetention !== null) throw invalid(beyondRetention, view.name, 'online.retention');
  if (view.compaction !== undefined && !view.online.enabled) {
    throw invalid(
      `feature view ${view.name}: a compaction schedule compacts the online table, but online.enabled is false`,
      view.name,
      'compaction',
    );
  }
  if (view.schedule !== undefined && !view.online.enabled) {
    throw invalid(
      `feature view ${view.name}: a schedule materializes into the online table, but online.enabled is false`,
      view.name,
      'schedule',
    );
  }
  return { kind: 'featureView', ...view };
}

/**
 * A feature service: the features of a model, by view. `features` takes view definitions (all
 * their features), `"view"`, `"view:feature"` or `{ featureView, features }`; references to the
 * same view merge in order. Whether the views and features exist is checked by the Registry.
 */
export function defineFeatureService(input: FeatureServiceInput): FeatureServiceDefinition {
  const plain = {
    ...input,
    features: input.features.map((item) => (typeof item === 'object' && 'kind' in item && item.kind === 'featureView' ? item.name : item)),
  };
  const service = parse(featureServiceSchema, plain, 'feature service');
  const byView = new Map<string, string[] | undefined>();
  for (const reference of service.features) {
    const { featureView, features } = typeof reference === 'string' ? splitReference(reference) : reference;
    if (!byView.has(featureView)) byView.set(featureView, features === undefined ? undefined : [...features]);
    else {
      const known = byView.get(featureView);
      // `view` means every feature: it wins over any listed subset.
      byView.set(featureView, known === undefined || features === undefined ? undefined : [...new Set([...known, ...features])]);
    }
  }
  const features: FeatureViewProjection[] = [...byView].map(([featureView, names]) =>
    names === undefined ? { featureView } : { featureView, features: names },
  );
  return { kind: 'featureService', ...service, features };
}

function splitReference(reference: string): FeatureViewProjection {
  const [featureView, feature] = reference.split(':') as [string, string | undefined];
  return feature === undefined ? { featureView } : { featureView, features: [feature] };
}

/** Why a view's aggregation window is longer than its online table keeps (`online.retention`), or null. */
export function windowBeyondRetention(view: Pick<FeatureViewDefinition, 'name' | 'aggregations' | 'online'>): string | null {
  const retention = durationSeconds(view.online.retention);
  if (retention === null) return null;
  const window = expandAggregations(view.aggregations ?? []).find((feature) => feature.windowSeconds > retention);
  if (window === undefined) return null;
  return `feature view ${view.name}: window ${window.window} of feature ${window.name} is longer than online.retention (${retention} seconds); shorten the window or raise online.retention`;
}

export function durationSeconds(value: Duration | undefined): number | null {
  if (!value) return null;
  const seconds = (value.days ?? 0) * 86_400 + (value.hours ?? 0) * 3_600 + (value.minutes ?? 0) * 60 + (value.seconds ?? 0);
  return seconds > 0 ? seconds : null;
}

/** Validates a definition, or throws invalid-input naming the object and its fields. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const objectName =
    typeof input === 'object' && input !== null && 'name' in input ? quotedName(String((input as { name: unknown }).name)) : '(unnamed)';
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw invalid(`Invalid ${what} ${objectName}: ${problems}`, objectName, result.error.issues[0]?.path.join('.') ?? '');
}

export function invalid(message: string, object: string, field: string): FloeError {
  return new FloeError('invalid-input', message, { context: { object, field } });
}
