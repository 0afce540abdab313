/**
 * Manifests and manifest lists written by pyiceberg (fixtures made by
 * test/fixtures/pyiceberg-manifests/generate.py), read by Floe, compared with what pyiceberg
 * itself read from the same files: its ManifestFile / ManifestEntry objects and its
 * inspect.entries(), inspect.files() and inspect.manifests() tables.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readAvroFile } from '../../../../iceberg/spec/avro/container.js';
import type { ManifestEntry, ManifestFile } from '../../../../iceberg/spec/manifest.js';
import { inheritManifestEntries, readManifest } from '../../../../iceberg/spec/manifest-avro.js';
import { readManifestList } from '../../../../iceberg/spec/manifest-list-avro.js';
import type { FormatVersion } from '../../../../iceberg/spec/metadata.js';
import type { PartitionSpec } from '../../../../iceberg/spec/partition.js';
import type { Schema } from '../../../../iceberg/spec/schema.js';
import { bindPartitionField, partitionPath } from '../../../../iceberg/spec/transforms.js';
import type { PrimitiveType } from '../../../../iceberg/spec/types.js';
import { fromBinary } from '../../../../iceberg/spec/values.js';
import { basename, expectedValue, normalizeEntry, normalizeManifestFile } from '../../../support/pyiceberg-json.js';

const FIXTURES = join(import.meta.dirname, '../../../fixtures/pyiceberg-manifests');

interface Expected {
  formatVersion: FormatVersion;
  codec: string;
  schemas: Schema[];
  specs: PartitionSpec[];
  currentSnapshotId: string;
  snapshots: { snapshotId: string; manifestList: string }[];
  manifestLists: Record<string, Record<string, unknown>[]>;
  manifests: Record<string, { inheritedFrom: string; entries: Record<string, unknown>[] }>;
  inspect: { entries: Record<string, unknown>[]; files: Record<string, unknown>[]; manifests: Record<string, unknown>[] };
}

// A case is a folder holding what pyiceberg read (expected.json): Python may leave a __pycache__
// beside generate.py when another test imports it.
const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, 'expected.json')))
  .map((d) => d.name);

describe('reading manifests written by pyiceberg', () => {
  it('has fixtures to read', () => assert.ok(cases.length >= 3, `fixtures in ${FIXTURES}`));

  for (const name of cases) {
    const dir = join(FIXTURES, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const read = (file: string): Uint8Array => new Uint8Array(readFileSync(join(dir, file)));
    const listsByName = new Map<string, ManifestFile[]>();
    for (const snapshot of expected.snapshots) {
      listsByName.set(
        snapshot.manifestList,
        readManifestList(read(snapshot.manifestList), { location: snapshot.manifestList, formatVersion: expected.formatVersion }),
      );
    }
    const readEntries = (manifestName: string, from: ManifestFile): ManifestEntry[] => {
      const manifest = readManifest(read(manifestName), { location: manifestName, specs: expected.specs, schemas: expected.schemas });
      return inheritManifestEntries(manifest.entries, from);
    };
    const spec = expected.specs.at(-1)!;
    const schema = expected.schemas.at(-1)!;

    describe(name, () => {
      it(`was written with the ${expected.codec} codec, which Floe decodes`, () => {
        const codec = { gzip: 'deflate', deflate: 'deflate', null: 'null', snappy: 'snappy' }[expected.codec];
        for (const file of Object.keys(expected.manifests)) assert.equal(readAvroFile(read(file), file).codec, codec);
      });

      it('manifest lists: every field as pyiceberg read it', () => {
        for (const [file, manifests] of listsByName) assert.deepEqual(manifests.map(normalizeManifestFile), expected.manifestLists[file]);
      });

      it('manifests: every entry as pyiceberg read it, after inheritance', () => {
        for (const [file, { inheritedFrom, entries }] of Object.entries(expected.manifests)) {
          const from = listsByName.get(inheritedFrom)!.find((m) => basename(m.manifestPath) === file)!;
          const ours = readEntries(file, from);
          const normalized = ours.map((entry, i) => {
            const raw = (entries[i]?.dataFile as { partition: unknown[] } | undefined)?.partition ?? [];
            // Partition values compared in pyiceberg's raw form, converted to Floe's first.
            entry.dataFile.partition.forEach((value, j) => {
              const type = bindPartitionField(spec, schema, j).resultType;
              assert.deepEqual(value, expectedValue(type, raw[j] ?? null), `${file} entry ${i} partition field ${j}`);
            });
            return normalizeEntry(entry, raw);
          });
          assert.deepEqual(normalized, entries, file);
        }
      });

      const current = expected.snapshots.find((s) => s.snapshotId === expected.currentSnapshotId)!;
      const currentManifests = listsByName.get(current.manifestList)!;
      const currentEntries = currentManifests.flatMap((m) => readEntries(basename(m.manifestPath), m));

      it('inspect.entries(): status, ids, partition and readable metrics', () => {
        assert.equal(currentEntries.length, expected.inspect.entries.length);
        const columns = new Map(schema.fields.map((f) => [f.name, f]));
        expected.inspect.entries.forEach((row, i) => {
          const ours = currentEntries[i]!;
          const dataFile = row.data_file as Record<string, unknown>;
          assert.equal(['existing', 'added', 'deleted'][row.status as number], ours.status);
          assert.equal(String(row.snapshot_id), ours.snapshotId?.toString());
          assert.equal(row.sequence_number, ours.sequenceNumber);
          assert.equal(row.file_sequence_number, ours.fileSequenceNumber);
          assert.equal(dataFile.file_path, ours.dataFile.filePath);
          const partition = dataFile.partition as Record<string, unknown>;
          spec.fields.forEach((field, j) => {
            const type = bindPartitionField(spec, schema, j).resultType;
            assert.deepEqual(
              ours.dataFile.partition[j],
              expectedValue(type, partition[field.name] ?? null),
              `${field.name} of ${ours.dataFile.filePath}`,
            );
          });
          for (const [column, metrics] of Object.entries(row.readable_metrics as Record<string, Record<string, unknown>>)) {
            const field = columns.get(column)!;
            const type = field.type as PrimitiveType;
            const lower = ours.dataFile.lowerBounds?.get(field.id);
            const upper = ours.dataFile.upperBounds?.get(field.id);
            assert.deepEqual(
              lower === undefined ? null : fromBinary(type, lower),
              expectedValue(type, metrics.lower_bound ?? null),
              `lower bound of ${column}`,
            );
            assert.deepEqual(
              upper === undefined ? null : fromBinary(type, upper),
              expectedValue(type, metrics.upper_bound ?? null),
              `upper bound of ${column}`,
            );
            assert.equal(ours.dataFile.valueCounts?.get(field.id) ?? null, metrics.value_count);
            assert.equal(ours.dataFile.nullValueCounts?.get(field.id) ?? null, metrics.null_value_count);
            assert.equal(ours.dataFile.nanValueCounts?.get(field.id) ?? null, metrics.nan_value_count);
            assert.equal(ours.dataFile.columnSizes?.get(field.id) ?? null, metrics.column_size);
          }
        });
      });

      it('inspect.files(): the live files', () => {
        const live = currentEntries
          .filter((e) => e.status !== 'deleted')
          .map((e) => e.dataFile.filePath)
          .sort();
        assert.deepEqual(live, expected.inspect.files.map((f) => f.file_path as string).sort());
      });

      it('partition paths: the folder pyiceberg wrote each data file in is the one Floe computes', () => {
        for (const entry of currentEntries) {
          const path = partitionPath(spec, schema, entry.dataFile.partition);
          assert.ok(entry.dataFile.filePath.includes(`/data/${path}/`), `${path} in ${entry.dataFile.filePath}`);
        }
      });

      it('inspect.manifests(): counts and partition summaries', () => {
        assert.equal(currentManifests.length, expected.inspect.manifests.length);
        expected.inspect.manifests.forEach((row, i) => {
          const ours = currentManifests[i]!;
          assert.equal(basename(row.path as string), basename(ours.manifestPath));
          assert.equal(row.length, ours.manifestLength);
          assert.equal(row.added_data_files_count, ours.content === 'data' ? ours.addedFilesCount : 0);
          assert.equal(row.existing_data_files_count, ours.content === 'data' ? ours.existingFilesCount : 0);
          assert.equal(row.deleted_data_files_count, ours.content === 'data' ? ours.deletedFilesCount : 0);
          const summaries = row.partition_summaries as Record<string, unknown>[];
          summaries.forEach((summary, j) => {
            const ourSummary = ours.partitions![j]!;
            // pyiceberg shows bounds as the transform's human string: Floe's must read the same.
            const bound = bindPartitionField(spec, schema, j);
            const human = (bytes: Uint8Array | null): string | null =>
              bytes === null ? null : bound.toHumanString(fromBinary(bound.resultType, bytes));
            assert.equal(summary.contains_null, ourSummary.containsNull);
            assert.equal(summary.contains_nan, ourSummary.containsNan);
            assert.equal(human(ourSummary.lowerBound), summary.lower_bound ?? null);
            assert.equal(human(ourSummary.upperBound), summary.upper_bound ?? null);
          });
        });
      });
    });
  }
});
