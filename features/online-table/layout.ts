import type { Catalog, LoadedTable, TableIdentifier } from '../../iceberg/catalog/catalog.js';
import { createTableEnsuringNamespace } from '../../iceberg/catalog/create-table.js';
import { FloeError } from '../../core/errors.js';
import type { PartitionSpec } from '../../iceberg/spec/partition.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { SortOrder } from '../../iceberg/spec/sort-order.js';
import { COMPRESSION_CODEC, PAGE_VERSION, ROW_GROUP_LIMIT } from '../../engine/write/table-writer.js';
import type { IcebergType, NestedField } from '../../iceberg/spec/types.js';
import { typeText } from '../../iceberg/spec/types.js';
import { withFreshIds } from '../../iceberg/schema-update/schema-change.js';
import { featureColumnType } from '../feature-types.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { ONLINE_CREATED_TS, ONLINE_EVENT_TS, ONLINE_MATERIALIZED_AT } from '../online-columns.js';
import type { Registry, TableFormatVersion } from '../registry.js';
import { isAggregatedView } from '../aggregations.js';
import { columnPartials, partialColumnsOf, TILE_COVERS_SEQUENCE, TILE_KIND, TILE_START } from './aggregation-tiles.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';

// The Iceberg table a feature view is materialized into for online reads: its layout (below), and
// loading it or creating it the first time (`ensureOnlineTable`). Reads are in online-table-reader.ts.

/**
 * The online table of a feature view: key columns, features, then event_ts, created_ts and
 * materialized_at; partitioned by Iceberg's own bucket(N, first key) so any engine prunes a key
 * lookup to one bucket, and optionally by hour(event_ts). Its sort order is the key columns, so
 * each file's row groups hold narrow key ranges and a point read decodes one of them instead of
 * every one (a 625k-row file: DuckDB reads a key in 3.6 ms sorted, 6.7 ms unsorted).
 */
export interface OnlineTableLayout {
  readonly identifier: TableIdentifier;
  readonly schema: Schema;
  readonly spec: PartitionSpec;
  readonly sortOrder: SortOrder;
  readonly keyColumns: readonly string[];
  readonly featureColumns: readonly string[];
  readonly bucketColumn: string;
  readonly buckets: number;
  /** The format version the table is created in (an existing table keeps its own; `floe table upgrade` moves it). */
  readonly formatVersion: TableFormatVersion;
}

/** How Floe writes an online table's files; `floe apply` adds any of these a table lacks (online-evolution.ts). */
export const ONLINE_WRITE_PROPERTIES: Readonly<Record<string, string>> = {
  // A point read decompresses its row group's pages: snappy serves a key from a 10M-entity table
  // ~10% faster than zstd (1 key p99 36 -> 32 ms, 100 keys 993 -> 740 ms) for 45% more bytes.
  [COMPRESSION_CODEC]: 'snappy',
  // A point read decodes a whole row group of the file: 32k rows read a key fastest (3.1 ms in
  // DuckDB, against 3.5 at 64k and 4.2 at DuckDB's default 122,880 on a 625k-row file).
  [ROW_GROUP_LIMIT]: '32768',
  // Delta-encoded keys and v2 pages: a point read of one of 626k keys in a bucket file took 1.72
  // ms in DuckDB against 1.97 with v1 pages, and the file is a third smaller (6.1 -> 4.2 MB).
  [PAGE_VERSION]: '2',
  'floe.online-table': 'true',
};

export function onlineTableLayout(registry: Registry, view: FeatureViewDefinition): OnlineTableLayout {
  const keys = registry.joinKeysOf(view);
  let nextId = 1;
  const field = (name: string, type: IcebergType, required: boolean): NestedField => ({ id: nextId++, name, type, required });
  const keyFields = keys.map((key) => field(key.name, key.type, true));
  // An aggregated view's table holds partial tiles (aggregation-tiles.ts), not its features' values.
  const featureFields = isAggregatedView(view)
    ? [
        field(TILE_START, 'timestamptz', true),
        field(TILE_KIND, 'string', true),
        field(TILE_COVERS_SEQUENCE, 'long', false),
        ...partialColumnsOf(columnPartials(view)).map((column) => field(column.name, column.type, false)),
      ]
    : view.features.map((feature) => field(feature.name, featureColumnType(feature.type), false));
  const clash = featureFields.find((feature) => keyFields.some((key) => key.name === feature.name));
  if (clash) {
    throw new FloeError('invalid-input', `Feature view ${view.name}: feature ${JSON.stringify(clash.name)} has the name of a join key`, {
      context: { object: view.name, field: `features.${clash.name}` },
    });
  }
  // Top-level columns first, then the fields inside nested ones: the ids Iceberg's assignFreshIds gives a new table.
  const fields = [
    ...keyFields,
    ...featureFields,
    field(ONLINE_EVENT_TS, 'timestamptz', true),
    field(ONLINE_CREATED_TS, 'timestamptz', false),
    field(ONLINE_MATERIALIZED_AT, 'timestamptz', true),
  ].map((column) => ({ ...column, type: withFreshIds(column.type, () => nextId++) }));
  const bucketSource = keyFields[0]!;
  const eventTs = fields.find((candidate) => candidate.name === ONLINE_EVENT_TS)!;
  const partitionFields: { sourceId: number; fieldId: number; name: string; transform: string }[] = [];
  if (view.online.bucketed)
    partitionFields.push({
      sourceId: bucketSource.id,
      fieldId: 1000,
      name: `${bucketSource.name}_bucket`,
      transform: `bucket[${view.online.buckets}]`,
    });
  if (view.online.hourly)
    partitionFields.push({
      sourceId: eventTs.id,
      fieldId: 1000 + partitionFields.length,
      name: `${ONLINE_EVENT_TS}_hour`,
      transform: 'hour',
    });
  return {
    identifier: registry.onlineTableOf(view),
    schema: { schemaId: 0, identifierFieldIds: [], fields },
    spec: { specId: 0, fields: partitionFields },
    sortOrder: {
      orderId: 1,
      fields: keyFields.map((key) => ({
        sourceId: key.id,
        transform: 'identity',
        direction: 'asc' as const,
        nullOrder: 'nulls-first' as const,
      })),
    },
    keyColumns: keyFields.map((key) => key.name),
    featureColumns: featureFields.map((feature) => feature.name),
    bucketColumn: bucketSource.name,
    buckets: view.online.buckets,
    formatVersion: registry.tableFormatVersion,
  };
}

/** Loads the online table, creating it (and its namespace) the first time; safe when two workers race. */
export async function ensureOnlineTable(catalog: Catalog, layout: OnlineTableLayout): Promise<LoadedTable> {
  const { identifier } = layout;
  if (await catalog.tableExists(identifier)) return checkLayout(await catalog.loadTable(identifier), layout);
  try {
    return await createTableEnsuringNamespace(catalog, identifier, {
      schema: layout.schema,
      partitionSpec: layout.spec,
      sortOrder: layout.sortOrder,
      properties: ONLINE_WRITE_PROPERTIES,
      formatVersion: layout.formatVersion,
    });
  } catch (error) {
    if (FloeError.is(error, 'already-exists')) return checkLayout(await catalog.loadTable(identifier), layout);
    throw error;
  }
}

/** An existing online table must still hold every column the view writes, with the same types. */
function checkLayout(table: LoadedTable, layout: OnlineTableLayout): LoadedTable {
  const schema = table.metadata.schemas.find((candidate) => candidate.schemaId === table.metadata.currentSchemaId);
  for (const wanted of layout.schema.fields) {
    const found = schema?.fields.find((candidate) => candidate.name === wanted.name);
    if (!found || typeText(found.type) !== typeText(wanted.type)) {
      throw new FloeError(
        'invalid-input',
        `Online table ${formatTableIdentifier(layout.identifier)} has no column ${wanted.name} of type ${typeText(wanted.type)}${found ? ` (it is ${typeText(found.type)})` : ''}; run \`floe apply\` to evolve it to the feature view's definition`,
        { context: { table: formatTableIdentifier(layout.identifier), column: wanted.name } },
      );
    }
  }
  return table;
}
