import type { Catalog, LoadedTable } from '../../iceberg/catalog/catalog.js';
import { LAST_ADDED } from '../../iceberg/table-updates/apply-updates.js';
import type { PreparedChange, TableChange } from '../../iceberg/commit/table-change.js';
import { FloeError } from '../../core/errors.js';
import { currentSchema, sortOrderById } from '../../iceberg/spec/metadata.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { IcebergType, NestedField, PrimitiveType } from '../../iceberg/spec/types.js';
import { TYPE_WIDENINGS, typeText } from '../../iceberg/spec/types.js';
import { withFreshIds } from '../../iceberg/schema-update/schema-change.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from '../online-columns.js';
import { ONLINE_WRITE_PROPERTIES } from '../online-table/layout.js';
import type { OnlineTableLayout } from '../online-table/layout.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { schemaEditCommit } from '../../iceberg/schema-update/schema-change.js';

/**
 * What `floe apply` does to a feature view's online table: create it, or evolve it in place in one
 * commit. Its schema: a new feature is a new optional column, a removed feature's column is
 * dropped, int→long and float→double are promoted (`add-schema` + `set-current-schema`). Its write
 * layout, for tables an older Floe created: the key sort order when the table has none, and the
 * write properties it lacks (a property the table sets, even to another value, is left as it is).
 * Data files are never rewritten: files written from then on, compactions included, take the new
 * layout. Anything that would need a rewrite (other type changes, different keys or partitioning)
 * is reported as a problem and nothing is changed.
 */
export type OnlineTablePlan =
  | { readonly action: 'create'; readonly table: string; readonly columns: readonly string[] }
  | {
      readonly action: 'evolve';
      readonly table: string;
      readonly add: readonly ColumnChange[];
      readonly drop: readonly string[];
      readonly promote: readonly ColumnChange[];
      /** The columns (the keys) the table's files will be sorted by, when the table has no sort order yet. */
      readonly sortBy: readonly string[];
      readonly setProperties: Readonly<Record<string, string>>;
    }
  | { readonly action: 'unchanged'; readonly table: string };

export interface ColumnChange {
  readonly name: string;
  readonly type: IcebergType;
  readonly from?: PrimitiveType;
}

/** Columns Floe manages besides features: never dropped, and a missing one means the keys changed. */
const FIXED_COLUMNS = new Set([ONLINE_EVENT_TS, ONLINE_CREATED_TS, ONLINE_MATERIALIZED_AT]);

export async function planOnlineTable(catalog: Catalog, layout: OnlineTableLayout): Promise<{ plan: OnlineTablePlan; problems: string[] }> {
  const table = formatTableIdentifier(layout.identifier);
  if (!(await catalog.tableExists(layout.identifier))) {
    return { plan: { action: 'create', table, columns: layout.schema.fields.map((field) => field.name) }, problems: [] };
  }
  const loaded = await catalog.loadTable(layout.identifier);
  const { changes, problems } = compareSchemas(currentSchema(loaded.metadata), layout);
  problems.push(...comparePartitioning(loaded, layout));
  const writeLayout = compareWriteLayout(loaded.metadata, layout);
  const unchanged = !changesSchema(changes) && writeLayout.sortBy.length === 0 && Object.keys(writeLayout.setProperties).length === 0;
  return { plan: unchanged ? { action: 'unchanged', table } : { action: 'evolve', table, ...changes, ...writeLayout }, problems };
}

/** The sort order and write properties of ONLINE_WRITE_PROPERTIES the table does not have yet. */
function compareWriteLayout(
  metadata: TableMetadata,
  layout: OnlineTableLayout,
): { sortBy: string[]; setProperties: Record<string, string> } {
  const sorted = (sortOrderById(metadata, metadata.defaultSortOrderId)?.fields.length ?? 0) > 0;
  const setProperties = Object.fromEntries(
    Object.entries(ONLINE_WRITE_PROPERTIES).filter(([name]) => metadata.properties[name] === undefined),
  );
  return { sortBy: sorted ? [] : layout.sortOrder.fields.map((field) => layoutColumnName(layout, field.sourceId)), setProperties };
}

type SchemaChanges = { add: ColumnChange[]; drop: string[]; promote: ColumnChange[] };

function changesSchema(changes: SchemaChanges): boolean {
  return changes.add.length > 0 || changes.drop.length > 0 || changes.promote.length > 0;
}

function compareSchemas(schema: Schema, layout: OnlineTableLayout): { changes: SchemaChanges; problems: string[] } {
  const table = formatTableIdentifier(layout.identifier);
  const add: ColumnChange[] = [];
  const drop: string[] = [];
  const promote: ColumnChange[] = [];
  const problems: string[] = [];
  const keys = new Set(layout.keyColumns);
  for (const wanted of layout.schema.fields) {
    const found = schema.fields.find((field) => field.name === wanted.name);
    const type = wanted.type;
    if (!found) {
      if (keys.has(wanted.name) || FIXED_COLUMNS.has(wanted.name))
        problems.push(
          `${table} has no column ${wanted.name}: changing a view's join keys needs a new online table (drop it, or name another with online.table)`,
        );
      else add.push({ name: wanted.name, type });
    } else if (typeText(found.type) !== typeText(type)) {
      if (typeof found.type === 'string' && TYPE_WIDENINGS[found.type] === type && !keys.has(wanted.name))
        promote.push({ name: wanted.name, type, from: found.type });
      else
        problems.push(
          `${table}: column ${wanted.name} is ${JSON.stringify(typeText(found.type))} and cannot become ${typeText(type)} without rewriting the table; give the feature a new name instead`,
        );
    }
  }
  for (const field of schema.fields) {
    if (layout.schema.fields.some((wanted) => wanted.name === field.name)) continue;
    if (FIXED_COLUMNS.has(field.name)) continue;
    if (keys.size > 0 && field.required)
      problems.push(`${table} has a join key ${field.name} the view no longer has: changing a view's join keys needs a new online table`);
    else drop.push(field.name);
  }
  return { changes: { add, drop, promote }, problems };
}

function comparePartitioning(table: LoadedTable, layout: OnlineTableLayout): string[] {
  const schema = currentSchema(table.metadata);
  const spec = table.metadata.partitionSpecs.find((candidate) => candidate.specId === table.metadata.defaultSpecId);
  const describe = (fields: readonly { sourceId: number; transform: string }[], fieldsOf: Schema) =>
    fields
      .map((field) => `${field.transform}(${fieldsOf.fields.find((candidate) => candidate.id === field.sourceId)?.name ?? '?'})`)
      .join(', ');
  const have = describe(spec?.fields ?? [], schema);
  const want = describe(layout.spec.fields, layout.schema);
  return have === want
    ? []
    : [
        `${formatTableIdentifier(layout.identifier)} is partitioned by [${have}] but the view asks for [${want}]: changing online partitioning is not done by apply (it would need a rewrite)`,
      ];
}

/**
 * The change as a TableChange, restated against whatever the table is at each attempt: new columns
 * get ids above the table's last column id, existing ones keep theirs, and the sort order names the
 * keys by the table's own field ids.
 */
export function onlineTableChange(layout: OnlineTableLayout): TableChange {
  return {
    description: `evolve online table ${formatTableIdentifier(layout.identifier)}`,
    async prepare(base) {
      const schema = currentSchema(base.metadata);
      const { changes, problems } = compareSchemas(schema, layout);
      if (problems.length > 0)
        throw new FloeError('invalid-input', problems.join('; '), { context: { table: formatTableIdentifier(layout.identifier) } });
      const { sortBy, setProperties } = compareWriteLayout(base.metadata, layout);
      const parts: PreparedChange[] = [];
      const schemaChange = evolvedSchema(base.metadata, schema, changes);
      if (schemaChange) parts.push(schemaChange);
      if (sortBy.length > 0) parts.push(layoutSortOrder(base.metadata, schema, layout));
      if (Object.keys(setProperties).length > 0)
        parts.push({ requirements: [], updates: [{ action: 'set-properties', updates: setProperties }] });
      return { requirements: parts.flatMap((part) => part.requirements), updates: parts.flatMap((part) => part.updates) };
    },
  };
}

/** The layout's sort order as the table's default, naming its columns by the table's own field ids. */
function layoutSortOrder(metadata: TableMetadata, schema: Schema, layout: OnlineTableLayout): PreparedChange {
  const fields = layout.sortOrder.fields.map((field) => ({
    ...field,
    sourceId: schema.fields.find((candidate) => candidate.name === layoutColumnName(layout, field.sourceId))!.id,
  }));
  return {
    requirements: [{ type: 'assert-default-sort-order-id', defaultSortOrderId: metadata.defaultSortOrderId }],
    updates: [
      // The order id is assigned on apply (the next free one).
      { action: 'add-sort-order', sortOrder: { orderId: 1, fields } },
      { action: 'set-default-sort-order', sortOrderId: LAST_ADDED },
    ],
  };
}

function layoutColumnName(layout: OnlineTableLayout, fieldId: number): string {
  return layout.schema.fields.find((field) => field.id === fieldId)!.name;
}

/** The schema changes as the table's next schema, or undefined when there are none. */
function evolvedSchema(metadata: TableMetadata, schema: Schema, changes: SchemaChanges): PreparedChange | undefined {
  if (!changesSchema(changes)) return undefined;
  let lastColumnId = metadata.lastColumnId;
  const kept: NestedField[] = schema.fields
    .filter((field) => !changes.drop.includes(field.name))
    .map((field) => {
      const promoted = changes.promote.find((change) => change.name === field.name);
      return promoted ? { ...field, type: promoted.type } : field;
    });
  const ids = changes.add.map(() => ++lastColumnId);
  // Every field inside a new nested column gets an id of its own too, after the new columns' ids.
  const added: NestedField[] = changes.add.map((change, index) => ({
    id: ids[index]!,
    name: change.name,
    type: withFreshIds(change.type, () => ++lastColumnId),
    required: false,
  }));
  return schemaEditCommit(metadata, { fields: [...kept, ...added], lastColumnId });
}
