import { z } from 'zod';
import { identifierSchema } from './names.js';

/**
 * Windowed aggregations a feature view may declare over one source column, in the spirit of
 * Chronon's GroupBy. For an entity row at time t, window w covers the view's source rows of the same
 * keys with t − w < event_ts ≤ t (the point-in-time join's "≤ t"). Results are exact.
 *
 * - `count`: rows in the window whose column is not null (0 for an empty window).
 * - `sum`, `avg`, `min`, `max`: over the non-null values; null for a window without one. `avg` is
 *   sum / count in double precision.
 * - `last`: the column of the row with the greatest (event_ts, created_ts) in the window (null when
 *   that row's value is null); rows equal in both are ordered by the value, a null lowest.
 */

export const AGGREGATION_FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max', 'last'] as const;
export type AggregationFunction = (typeof AGGREGATION_FUNCTIONS)[number];

const NUMERIC_TYPES = ['int', 'long', 'float', 'double'] as const;
const ORDERED_TYPES = [...NUMERIC_TYPES, 'date', 'timestamp', 'timestamptz', 'string'] as const;
export const AGGREGATED_COLUMN_TYPES = [...ORDERED_TYPES, 'boolean'] as const;
export type AggregatedColumnType = (typeof AGGREGATED_COLUMN_TYPES)[number];

const WINDOW_UNITS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
const WINDOW_PATTERN = /^([1-9][0-9]{0,6})([smhd])$/;

/** `30s`, `5m`, `1h`, `7d`: a positive whole number of seconds, minutes, hours or days. */
export const aggregationWindowSchema = z.string().regex(WINDOW_PATTERN, 'must be a window such as "30s", "5m", "1h" or "7d"');

export const aggregationSchema = z
  .object({
    /** The source column aggregated (after the source's fieldMapping). */
    column: identifierSchema,
    /** The column's type in the source; checked against the table when planned. */
    type: z.enum(AGGREGATED_COLUMN_TYPES).default('double'),
    functions: z.array(z.enum(AGGREGATION_FUNCTIONS)).min(1),
    windows: z.array(aggregationWindowSchema).min(1),
    /** The feature's name, instead of `<column>_<function>_<window>`; only for one function and one window. */
    name: identifierSchema.optional(),
  })
  .strict()
  .refine((aggregation) => aggregation.name === undefined || (aggregation.functions.length === 1 && aggregation.windows.length === 1), {
    message: 'name is only for an aggregation of one function over one window',
    path: ['name'],
  })
  .refine((aggregation) => !aggregation.functions.some((fn) => (fn === 'sum' || fn === 'avg') && !isNumeric(aggregation.type)), {
    message: 'sum and avg need a numeric column (type int, long, float or double)',
    path: ['functions'],
  })
  .refine((aggregation) => !aggregation.functions.some((fn) => (fn === 'min' || fn === 'max') && aggregation.type === 'boolean'), {
    message: 'min and max need an ordered column type, not boolean',
    path: ['functions'],
  });
export type AggregationDefinition = z.infer<typeof aggregationSchema>;
export type AggregationInput = z.input<typeof aggregationSchema>;

/** One feature an aggregation yields: one function of one column over one window. */
export interface AggregatedFeature {
  readonly name: string;
  readonly column: string;
  readonly columnType: AggregatedColumnType;
  readonly function: AggregationFunction;
  /** As written, e.g. `7d`. */
  readonly window: string;
  readonly windowSeconds: number;
  /** The feature's type: `long` for count, `double` for avg and for sums of float/double, else the column's. */
  readonly type: AggregatedColumnType;
}

export function aggregationWindowSeconds(window: string): number {
  const match = WINDOW_PATTERN.exec(window);
  if (!match) throw new Error(`not an aggregation window: ${window}`);
  return Number(match[1]) * WINDOW_UNITS[match[2] as keyof typeof WINDOW_UNITS];
}

/** Every feature the aggregations yield, in declaration order: by aggregation, then function, then window. */
export function expandAggregations(aggregations: readonly AggregationDefinition[]): AggregatedFeature[] {
  return aggregations.flatMap((aggregation) =>
    aggregation.functions.flatMap((fn) =>
      aggregation.windows.map((window) => ({
        name: aggregation.name ?? `${aggregation.column}_${fn}_${window}`,
        column: aggregation.column,
        columnType: aggregation.type,
        function: fn,
        window,
        windowSeconds: aggregationWindowSeconds(window),
        type: aggregatedFeatureType(fn, aggregation.type),
      })),
    ),
  );
}

/** The aggregated features of a view; empty for a view of plain features. */
export function aggregatedFeaturesOf(view: { readonly aggregations?: readonly AggregationDefinition[] | undefined }): AggregatedFeature[] {
  return view.aggregations === undefined ? [] : expandAggregations(view.aggregations);
}

export function isAggregatedView(view: { readonly aggregations?: readonly AggregationDefinition[] | undefined }): boolean {
  return view.aggregations !== undefined && view.aggregations.length > 0;
}

/** The longest window of a view's aggregations, in seconds (0 for a view without). */
export function longestWindowSeconds(view: { readonly aggregations?: readonly AggregationDefinition[] | undefined }): number {
  return Math.max(0, ...aggregatedFeaturesOf(view).map((feature) => feature.windowSeconds));
}

/**
 * The tile grid of a view's aggregations: the greatest common divisor of its windows, in seconds.
 * Every window is a whole number of tiles, so an aggregate as of a tile boundary is exact from tiles.
 */
export function tileSeconds(view: { readonly aggregations?: readonly AggregationDefinition[] | undefined }): number {
  return aggregatedFeaturesOf(view).reduce((divisor, feature) => greatestCommonDivisor(divisor, feature.windowSeconds), 0);
}

function aggregatedFeatureType(fn: AggregationFunction, columnType: AggregatedColumnType): AggregatedColumnType {
  if (fn === 'count') return 'long';
  if (fn === 'avg') return 'double';
  if (fn === 'sum') return columnType === 'float' || columnType === 'double' ? 'double' : 'long';
  return columnType;
}

function isNumeric(type: AggregatedColumnType): boolean {
  return (NUMERIC_TYPES as readonly string[]).includes(type);
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}
