import { FloeError } from '../core/errors.js';
import { unreadableTypeIn } from '../engine/read/readable-columns.js';
import type { Schema } from '../iceberg/spec/schema.js';
import type { IcebergType } from '../iceberg/spec/types.js';
import { describeWidenings, readsAs, typeText } from '../iceberg/spec/types.js';
import { isAggregatedView } from './aggregations.js';
import type { FeatureViewDefinition, IcebergSourceDefinition } from './definitions.js';
import { featureColumnType } from './feature-types.js';
import { sourceColumns } from './source.js';

// The types a feature view declares for the source columns it reads, checked against the source
// table: a declared type is the column's own type or a widening of it (TYPE_WIDENINGS), else the
// online table would hold a converted value while historical retrieval returns the source's.
// Push- and stream-fed views read their push source's batch source, so its table is their schema.

export interface DeclaredColumnType {
  /** The name the view reads the column by: a feature's name, or an aggregated column's. */
  readonly name: string;
  /** The source column, through the source's fieldMapping. */
  readonly column: string;
  /** The column type the declaration asks for (a JSON feature's is string). */
  readonly declared: IcebergType;
  /** The declaration as the definition spells it: `double`, `list<float>`, `json`. */
  readonly declaredText: string;
  /** How the definition names it in a message: `feature conv_rate`, `aggregated column trips`. */
  readonly role: string;
  /**
   * An aggregation's `type` is its column's type exactly: the features it yields take their types
   * from the function and that type (count → long, sum → long or double, avg → double, else the
   * column's), so a widening there would make them differ from what the source's values give.
   */
  readonly exact: boolean;
}

/** Each source column whose type the view declares: its features' types, or its aggregations' column types. */
export function declaredColumnTypes(view: FeatureViewDefinition, source: IcebergSourceDefinition): DeclaredColumnType[] {
  const columnOf = sourceColumns(source);
  if (isAggregatedView(view)) {
    const seen = new Set<string>();
    return (view.aggregations ?? []).flatMap((aggregation) => {
      const key = `${aggregation.column}:${aggregation.type}`;
      if (seen.has(key)) return [];
      seen.add(key);
      return [
        {
          name: aggregation.column,
          column: columnOf(aggregation.column),
          declared: aggregation.type,
          declaredText: aggregation.type,
          role: `aggregated column ${aggregation.column}`,
          exact: true,
        },
      ];
    });
  }
  return view.features.map((feature) => ({
    name: feature.name,
    column: columnOf(feature.name),
    declared: featureColumnType(feature.type),
    declaredText: feature.type,
    role: `feature ${feature.name}`,
    exact: false,
  }));
}

/**
 * Every declared type the source table's schema does not read as, one message each naming the
 * view, the feature (or aggregated column), the declared type and the column's type; only of the
 * names in `only` when given. Columns the table lacks are left to the column checks.
 */
export function columnTypeProblems(
  view: FeatureViewDefinition,
  source: IcebergSourceDefinition,
  schema: Schema,
  table: string,
  only?: readonly string[],
): string[] {
  return declaredColumnTypes(view, source).flatMap((declared) => {
    if (only !== undefined && !only.includes(declared.name)) return [];
    const field = schema.fields.find((candidate) => candidate.name === declared.column);
    // A missing column is the column checks' to report, a type Floe cannot read the reader's (as unsupported).
    if (field === undefined || unreadableTypeIn(field.type) !== undefined) return [];
    if (declared.exact ? field.type === declared.declared : readsAs(field.type, declared.declared)) return [];
    return [mismatchMessage(view, source, table, declared, field.type)];
  });
}

/** Refuses (non-retryable invalid input) a view whose declared types the source table's schema does not read as. */
export function checkColumnTypes(
  view: FeatureViewDefinition,
  source: IcebergSourceDefinition,
  schema: Schema,
  table: string,
  only?: readonly string[],
): void {
  const problems = columnTypeProblems(view, source, schema, table, only);
  if (problems.length === 0) return;
  throw new FloeError('invalid-input', problems.join('; '), {
    context: { featureView: view.name, source: source.name, table },
    retryable: false,
  });
}

function mismatchMessage(
  view: FeatureViewDefinition,
  source: IcebergSourceDefinition,
  table: string,
  declared: DeclaredColumnType,
  actual: IcebergType,
): string {
  const column = declared.column === declared.name ? '' : ` (column ${declared.column})`;
  const rule = declared.exact
    ? "an aggregation's type is its column's type"
    : `a declared type is the column's type or a widening of it: ${describeWidenings()}, also inside lists, maps and structs${declared.declaredText === 'json' ? '; a json feature reads a string column' : ''}`;
  return (
    `Feature view ${view.name}: ${declared.role} is declared ${declared.declaredText}, but source ${source.name} (table ${table}) has it as ${typeText(actual)}${column}; ` +
    `declare ${typeText(actual)} (${rule})${structForMapHint(declared.declaredText, actual, declared.column)}`
  );
}

/**
 * A map declared over a struct column: pandas writes a dict column (Feast's Map, as in Feast's
 * template) as a struct, which `floe table load --create --map` makes the map it is.
 */
function structForMapHint(declaredText: string, actual: IcebergType, column: string): string {
  if (!declaredText.startsWith('map<') || typeof actual === 'string' || actual.type !== 'struct') return '';
  return `; or, if the column's file wrote a map as a struct (as pandas writes a dict column), load it again into a new table with floe table load --create --map ${column}`;
}
