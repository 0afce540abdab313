// services: python, java-oracle
/**
 * Tables Floe writes (appendQuery: DuckDB Parquet, Floe's manifests, manifest lists and metadata)
 * read by pyiceberg and Java give exactly the rows Floe wrote, and pyiceberg's inspection of
 * snapshots, manifests (with partition summaries) and files (sizes, counts, bounds) agrees with
 * what Floe's own metadata says. One table per partition transform, and one of v2 data pages
 * (`write.parquet.page-version` 2, as online tables are written), three appends each.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { PAGE_VERSION } from '../../../engine/write/table-writer.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import type { Catalog, LoadedTable } from '../../../iceberg/catalog/catalog.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { jsonRoot } from '../../../iceberg/spec/json.js';
import { inheritFromManifestFile, readManifest } from '../../../iceberg/spec/manifest-avro.js';
import type { ManifestFile } from '../../../iceberg/spec/manifest.js';
import { readManifestList } from '../../../iceberg/spec/manifest-list-avro.js';
import { currentSnapshot, schemaById } from '../../../iceberg/spec/metadata.js';
import { parsePartitionSpec } from '../../../iceberg/spec/partition-json.js';
import { parseSchema } from '../../../iceberg/spec/schema-json.js';
import { parseTransform } from '../../../iceberg/spec/transforms.js';
import type { PrimitiveType, PrimitiveValue } from '../../../iceberg/spec/types.js';
import { fromBinary, uuidToBytes } from '../../../iceberg/spec/values.js';
import { openJavaOracle, type JavaCatalog, type JavaOracleSession } from '../../support/java-oracle.js';
import { pythonDecimalString, readFloeRows, sortOracleRows, type OracleRow } from '../../support/oracle-rows.js';
import { sqliteCatalog, type OracleCatalog } from '../../support/pyiceberg.js';
import { pyBatch, type PyRows, type PyStep } from '../../support/interop/pyiceberg-interop.js';
import {
  partitionSpecJson,
  rowsQuery,
  TRANSFORM_CASES,
  wideRows,
  wideRowsAsRead,
  wideSchemaJson,
} from '../../support/interop/wide-rows.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const dir = scratchFolder('interop-floe');
let oracle: OracleCatalog;
let javaCatalog: JavaCatalog;
let catalog: Catalog;
let engine: Engine;
let java: JavaOracleSession;

const APPENDS: [number, number][] = [
  [0, 10],
  [10, 24],
  [24, 32],
];
/** A table per partition transform, and one written with Parquet's v2 data pages and delta encodings. */
const TABLES: Record<string, { fields: (typeof TRANSFORM_CASES)[string]; properties: Record<string, string> }> = {
  ...Object.fromEntries(Object.entries(TRANSFORM_CASES).map(([transform, fields]) => [transform, { fields, properties: {} }])),
  pages_v2: { fields: TRANSFORM_CASES.identity!, properties: { [PAGE_VERSION]: '2' } },
};
const TRANSFORMS = Object.keys(TABLES);
const identifierOf = (transform: string): { namespace: string[]; name: string } => ({ namespace: ['floe'], name: `w_${transform}` });
const nameOf = (transform: string): string => `floe.w_${transform}`;
const byId = (rows: readonly OracleRow[]): OracleRow[] => sortOracleRows(rows, ['id']);

before(async () => {
  oracle = sqliteCatalog(dir);
  javaCatalog = { type: 'sql', uri: `jdbc:sqlite:${join(dir, 'catalog.db')}`, warehouse: `file://${join(dir, 'warehouse')}` };
  engine = await Engine.create({ threads: 2, setup: registerIcebergFunctions });
  catalog = await SqlCatalog.open({ name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: `file://${join(dir, 'warehouse')}` });
  java = openJavaOracle();
  await catalog.createNamespace(['floe']);
  for (const transform of TRANSFORMS) {
    await catalog.createTable(identifierOf(transform), {
      schema: parseSchema(wideSchemaJson(), jsonRoot('wide schema')),
      partitionSpec: parsePartitionSpec(partitionSpecJson(TABLES[transform]!.fields), jsonRoot(`${transform} spec`)),
      properties: { 'write.metadata.metrics.default': 'full', ...TABLES[transform]!.properties },
    });
    for (const [index, [from, to]] of APPENDS.entries()) {
      await appendQuery({
        catalog,
        engine,
        identifier: identifierOf(transform),
        query: rowsQuery(wideRows(from, to)),
        workDirectory: join(dir, 'work'),
        idempotencyKey: `${transform}-${index}`,
      });
    }
  }
  // Everything pyiceberg says about the tables, in one Python process (each start costs seconds).
  const steps: PyStep[] = [];
  for (const transform of TRANSFORMS) {
    const identifier = nameOf(transform);
    const table = await catalog.loadTable(identifierOf(transform));
    steps.push(
      { command: 'read', catalog: oracle, identifier },
      ...table.metadata.snapshots.map((snapshot): PyStep => ({
        command: 'read',
        catalog: oracle,
        identifier,
        snapshot_id: String(snapshot.snapshotId),
      })),
      { command: 'inspect', catalog: oracle, identifier, what: 'snapshots' },
      { command: 'inspect', catalog: oracle, identifier, what: 'manifests' },
      { command: 'manifest_entries', catalog: oracle, identifier },
    );
  }
  const results = await pyBatch(steps);
  const perTable = 1 + APPENDS.length + 3;
  TRANSFORMS.forEach((transform, index) => {
    const mine = results.slice(index * perTable, (index + 1) * perTable);
    pyView[transform] = {
      reads: mine.slice(0, 1 + APPENDS.length) as PyRows[],
      snapshots: mine[perTable - 3] as { rows: Record<string, unknown>[] },
      manifests: mine[perTable - 2] as { rows: Record<string, unknown>[] },
      entries: (mine[perTable - 1] as { entries: Record<string, unknown>[] }).entries,
    };
  });
});

interface PyView {
  reads: PyRows[];
  snapshots: { rows: Record<string, unknown>[] };
  manifests: { rows: Record<string, unknown>[] };
  entries: Record<string, unknown>[];
}
const pyView: Record<string, PyView> = {};
after(async () => {
  await java?.close();
  await catalog?.close();
  engine?.close();
});

async function manifestsOf(table: LoadedTable): Promise<ManifestFile[]> {
  const snapshot = currentSnapshot(table.metadata)!;
  return readManifestList(await table.io.read(snapshot.manifestList!), {
    location: snapshot.manifestList!,
    formatVersion: table.metadata.formatVersion,
  });
}

/** pyiceberg prints maps as [{key, value}]: as a plain object keyed by the key's text. */
const mapOf = (entries: unknown): Record<string, unknown> | null =>
  entries === null
    ? null
    : Object.fromEntries((entries as { key: unknown; value: unknown }[]).map(({ key, value }) => [String(key), value]));
const floeMap = <V>(
  map: ReadonlyMap<number, V> | undefined,
  f: (value: V) => unknown = (value) => value,
): Record<string, unknown> | null =>
  map === undefined ? null : Object.fromEntries([...map].map(([key, value]) => [String(key), f(value)]));
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

describe('Floe writes, pyiceberg and Java read', () => {
  for (const transform of TRANSFORMS) {
    test(`${transform}: pyiceberg and Java read exactly the rows Floe wrote, at every snapshot`, async () => {
      const table = await catalog.loadTable(identifierOf(transform));
      assert.equal(table.metadata.snapshots.length, 3);
      const { reads } = pyView[transform]!;
      const written = wideRowsAsRead(wideRows(0, 32));
      assert.deepEqual(byId(reads[0]!.rows), byId(written), 'pyiceberg, current');
      for (const [index, snapshot] of table.metadata.snapshots.entries()) {
        const upTo = APPENDS[index]![1];
        assert.deepEqual(byId(reads[index + 1]!.rows), byId(wideRowsAsRead(wideRows(0, upTo))), `pyiceberg at snapshot ${index}`);
        const javaRead = await java.run('read', {
          catalog: javaCatalog,
          identifier: nameOf(transform),
          snapshot_id: String(snapshot.snapshotId),
        });
        assert.deepEqual(byId(javaRead.rows), byId(wideRowsAsRead(wideRows(0, upTo))), `Java at snapshot ${index}`);
      }
      const floe = await readFloeRows(engine, table);
      assert.deepEqual(byId(floe.rows), byId(written), 'Floe reads its own rows back');
    });

    test(`${transform}: pyiceberg's inspection of snapshots, manifests and files agrees with Floe's metadata`, async () => {
      const table = await catalog.loadTable(identifierOf(transform));
      const { snapshots, manifests, entries } = pyView[transform]!;

      // Snapshots: ids, parents, operations and every summary property (totals included).
      assert.deepEqual(
        snapshots.rows.map((row) => ({
          id: row.snapshot_id,
          parent: row.parent_id,
          operation: row.operation,
          manifestList: row.manifest_list,
          summary: mapOf(row.summary),
        })),
        table.metadata.snapshots.map((snapshot) => {
          const { operation, ...rest } = snapshot.summary;
          return {
            id: String(snapshot.snapshotId),
            parent: snapshot.parentSnapshotId === null ? null : String(snapshot.parentSnapshotId),
            operation,
            manifestList: snapshot.manifestList,
            summary: rest,
          };
        }),
      );
      const last = table.metadata.snapshots.at(-1)!.summary;
      assert.equal(last['total-records'], '32');
      assert.equal(last['added-records'], '8');

      // Manifests with partition summaries (pyiceberg prints bounds as the transform's human string).
      const spec = table.metadata.partitionSpecs[0]!;
      const schema = schemaById(table.metadata, 0)!;
      const bound = spec.fields.map((field) =>
        parseTransform(field.transform).bind(schema.fields.find((f) => f.id === field.sourceId)!.type),
      );
      const floeManifests = await manifestsOf(table);
      assert.deepEqual(
        manifests.rows.map((row) => ({
          path: row.path,
          length: Number(row.length),
          specId: row.partition_spec_id,
          snapshot: row.added_snapshot_id,
          added: row.added_data_files_count,
          existing: row.existing_data_files_count,
          partitions: (row.partition_summaries as Record<string, unknown>[]).map((summary) => [
            summary.contains_null,
            summary.contains_nan,
            summary.lower_bound,
            summary.upper_bound,
          ]),
        })),
        floeManifests.map((manifest) => ({
          path: manifest.manifestPath,
          length: manifest.manifestLength,
          specId: manifest.partitionSpecId,
          snapshot: String(manifest.addedSnapshotId),
          added: manifest.addedFilesCount,
          existing: manifest.existingFilesCount,
          partitions: (manifest.partitions ?? []).map((summary, index) => {
            const transformOf = bound[index]!;
            const human = (bytes: Uint8Array | null | undefined): string | null =>
              bytes == null ? null : transformOf.toHumanString(fromBinary(transformOf.resultType, bytes));
            return [summary.containsNull, summary.containsNan ?? null, human(summary.lowerBound), human(summary.upperBound)];
          }),
        })),
      );
      assert.equal(floeManifests.length, 3, 'fast appends add one manifest each and keep the earlier ones');

      // Files and entries through pyiceberg's own manifest reader: partition, counts, sizes, bounds
      // (raw bytes, and decoded by pyiceberg's conversions against Floe's decoding of the same bytes).
      const ours = await entriesOf(table);
      const key = (row: Record<string, unknown>): string => String(row.file_path);
      assert.deepEqual(entries.map(key).sort(), ours.map(key).sort());
      assert.ok(ours.length >= 3);
      const theirsByPath = new Map(entries.map((row) => [key(row), row]));
      for (const expected of ours) {
        assert.deepEqual(theirsByPath.get(key(expected)), expected, `${transform}: ${key(expected)}`);
      }
    });
  }
});

/** Floe's manifest entries of the current snapshot, in the shape pyiceberg_interop.py's manifest_entries prints. */
async function entriesOf(table: LoadedTable): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const schema = schemaById(table.metadata, currentSnapshot(table.metadata)!.schemaId ?? table.metadata.currentSchemaId)!;
  const typeOf = (id: number): PrimitiveType => schema.fields.find((field) => field.id === id)!.type as PrimitiveType;
  const decoded = (bounds: ReadonlyMap<number, Uint8Array> | undefined): Record<string, unknown> | null =>
    floeMap(
      bounds === undefined
        ? undefined
        : new Map([...bounds].map(([id, bytes]) => [id, plainJson(typeOf(id), fromBinary(typeOf(id), bytes))])),
    );
  for (const manifest of await manifestsOf(table)) {
    const spec = table.metadata.partitionSpecs.find((candidate) => candidate.specId === manifest.partitionSpecId)!;
    const bound = spec.fields.map((field) => parseTransform(field.transform).bind(typeOf(field.sourceId)));
    const read = readManifest(await table.io.read(manifest.manifestPath), {
      location: manifest.manifestPath,
      specs: table.metadata.partitionSpecs,
      schemas: table.metadata.schemas,
    });
    for (const raw of read.entries) {
      const entry = inheritFromManifestFile(raw, manifest);
      const file = entry.dataFile;
      out.push({
        manifest: manifest.manifestPath,
        status: entry.status === 'existing' ? 0 : entry.status === 'added' ? 1 : 2,
        snapshot_id: String(entry.snapshotId),
        sequence_number: entry.sequenceNumber,
        file_sequence_number: entry.fileSequenceNumber,
        content: file.content === 'data' ? 0 : file.content === 'position-deletes' ? 1 : 2,
        file_path: file.filePath,
        file_format: file.fileFormat,
        partition: Object.fromEntries(
          spec.fields.map((field, index) => [
            field.name,
            file.partition[index] == null ? null : plainJson(bound[index]!.resultType, file.partition[index]!),
          ]),
        ),
        record_count: file.recordCount,
        file_size_in_bytes: file.fileSizeInBytes,
        column_sizes: floeMap(file.columnSizes),
        value_counts: floeMap(file.valueCounts),
        null_value_counts: floeMap(file.nullValueCounts),
        nan_value_counts: floeMap(file.nanValueCounts),
        lower_bounds: floeMap(file.lowerBounds, base64),
        upper_bounds: floeMap(file.upperBounds, base64),
        lower_values: decoded(file.lowerBounds),
        upper_values: decoded(file.upperBounds),
        split_offsets: file.splitOffsets ?? null,
        sort_order_id: file.sortOrderId ?? null,
      });
    }
  }
  return out;
}

/** A value in its internal form as pyiceberg prints it: ints as numbers (strings past 2^53), decimals as text, bytes as base64. */
function plainJson(type: PrimitiveType, value: PrimitiveValue): unknown {
  const decimal = /^decimal\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(type);
  if (decimal?.[1] !== undefined) return pythonDecimalString(value as bigint, Number(decimal[1]));
  // pyiceberg's from_bytes leaves a uuid as its 16 bytes.
  if (type === 'uuid') return base64(uuidToBytes(value as string));
  if (typeof value === 'bigint') return value >= -(2n ** 53n - 1n) && value <= 2n ** 53n - 1n ? Number(value) : String(value);
  if (value instanceof Uint8Array) return base64(value);
  return value;
}
