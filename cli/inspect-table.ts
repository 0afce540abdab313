/**
 * What `floe table inspect` and `floe table history` show of a table, from its metadata, manifest
 * list and manifests alone (the same sources as pyiceberg's `table.inspect`): snapshots, live data
 * and delete files with their partitions and sizes, per-partition totals, and the snapshot log.
 */
import type { LoadedTable } from '../iceberg/catalog/catalog.js';
import { FloeError } from '../core/errors.js';
import { isoMillis } from '../contracts/instants.js';
import { inheritFromManifestFile, readManifest } from '../iceberg/spec/manifest-avro.js';
import type { DataFile } from '../iceberg/spec/manifest.js';
import { readManifestList } from '../iceberg/spec/manifest-list-avro.js';
import { ancestorsOf, currentSchema, snapshotById } from '../iceberg/spec/metadata.js';
import { findField } from '../iceberg/spec/schema.js';
import type { Snapshot } from '../iceberg/spec/snapshot.js';
import { parseTransform } from '../iceberg/spec/transforms.js';
import type { PrimitiveType } from '../iceberg/spec/types.js';
import { toJsonValue } from '../iceberg/spec/value-json.js';
import { mapWithConcurrency } from '../iceberg/util/concurrency.js';

export interface InspectedFile {
  readonly content: DataFile['content'];
  readonly path: string;
  readonly format: DataFile['fileFormat'];
  readonly specId: number;
  readonly partition: Record<string, unknown>;
  readonly records: number;
  readonly bytes: number;
  readonly sequenceNumber: number | null;
}

export interface InspectedPartition {
  readonly specId: number;
  readonly partition: Record<string, unknown>;
  readonly dataFiles: number;
  readonly records: number;
  readonly bytes: number;
  readonly positionDeleteFiles: number;
  readonly equalityDeleteFiles: number;
}

export interface TableInspection {
  readonly table: string;
  readonly metadataLocation: string;
  readonly location: string;
  readonly formatVersion: number;
  readonly currentSnapshotId: string | null;
  /** The snapshot whose files are listed. */
  readonly snapshotId: string | null;
  readonly schema: readonly { id: number; name: string; type: string; required: boolean }[];
  readonly partitionSpec: readonly { name: string; transform: string; source: string }[];
  readonly properties: Readonly<Record<string, string>>;
  readonly snapshots: readonly {
    snapshotId: string;
    parentId: string | null;
    sequenceNumber: number;
    committedAt: string;
    operation: string;
    summary: Record<string, string>;
  }[];
  readonly manifests: number;
  readonly files: readonly InspectedFile[];
  readonly partitions: readonly InspectedPartition[];
  readonly totals: { readonly dataFiles: number; readonly deleteFiles: number; readonly records: number; readonly bytes: number };
}

export interface HistoryEntry {
  readonly snapshotId: string;
  readonly parentId: string | null;
  readonly madeCurrentAt: string;
  readonly operation: string | null;
  readonly isCurrentAncestor: boolean;
}

export async function inspectTable(table: LoadedTable, options: { snapshotId?: bigint } = {}): Promise<TableInspection> {
  const { metadata } = table;
  const name = [...table.identifier.namespace, table.identifier.name].join('.');
  const snapshotId = options.snapshotId ?? metadata.currentSnapshotId;
  const snapshot = snapshotId === null ? null : snapshotById(metadata, snapshotId);
  if (snapshotId !== null && !snapshot)
    throw new FloeError('not-found', `Table ${name} has no snapshot ${snapshotId}`, { context: { table: name } });
  const schema = currentSchema(metadata);
  const { files, manifests } = snapshot ? await liveFiles(table, snapshot) : { files: [], manifests: 0 };
  const data = files.filter((file) => file.content === 'data');
  const spec = metadata.partitionSpecs.find((candidate) => candidate.specId === metadata.defaultSpecId);
  return {
    table: name,
    metadataLocation: table.metadataLocation,
    location: metadata.location,
    formatVersion: metadata.formatVersion,
    currentSnapshotId: metadata.currentSnapshotId?.toString() ?? null,
    snapshotId: snapshotId?.toString() ?? null,
    schema: schema.fields.map((field) => ({
      id: field.id,
      name: field.name,
      type: typeof field.type === 'string' ? field.type : field.type.type,
      required: field.required,
    })),
    partitionSpec: (spec?.fields ?? []).map((field) => ({
      name: field.name,
      transform: field.transform,
      source: findField(schema, field.sourceId)?.name ?? `field ${field.sourceId}`,
    })),
    properties: metadata.properties,
    snapshots: metadata.snapshots.map((candidate) => ({
      snapshotId: candidate.snapshotId.toString(),
      parentId: candidate.parentSnapshotId?.toString() ?? null,
      sequenceNumber: candidate.sequenceNumber,
      committedAt: isoMillis(candidate.timestampMs),
      operation: candidate.summary.operation,
      summary: { ...candidate.summary },
    })),
    manifests,
    files,
    partitions: partitionTotals(files),
    totals: {
      dataFiles: data.length,
      deleteFiles: files.length - data.length,
      records: data.reduce((sum, file) => sum + file.records, 0),
      bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    },
  };
}

/** The files a snapshot's manifests list as live (added or existing), with their manifests' count. */
async function liveFiles(table: LoadedTable, snapshot: Snapshot): Promise<{ files: InspectedFile[]; manifests: number }> {
  const { metadata } = table;
  if (!snapshot.manifestList) return { files: [], manifests: 0 };
  const list = readManifestList(await table.io.read(snapshot.manifestList), {
    location: snapshot.manifestList,
    formatVersion: metadata.formatVersion,
    avroTypes: table.caches.avroTypes,
  });
  const perManifest = await mapWithConcurrency(list, 8, async (manifest) => {
    const read = readManifest(await table.io.read(manifest.manifestPath), {
      location: manifest.manifestPath,
      specs: metadata.partitionSpecs,
      schemas: metadata.schemas,
      avroTypes: table.caches.avroTypes,
    });
    return read.entries
      .filter((entry) => entry.status !== 'deleted')
      .map((entry) => {
        const inherited = inheritFromManifestFile(entry, manifest);
        const file = inherited.dataFile;
        return {
          content: file.content,
          path: file.filePath,
          format: file.fileFormat,
          specId: read.specId,
          partition: partitionObject(table, read.specId, file.partition),
          records: file.recordCount,
          bytes: file.fileSizeInBytes,
          sequenceNumber: inherited.sequenceNumber,
        };
      });
  });
  return { files: perManifest.flat(), manifests: list.length };
}

/** Per spec and partition, in order of first appearance: its data files, records and bytes, and its delete files. */
function partitionTotals(files: readonly InspectedFile[]): InspectedPartition[] {
  const partitions = new Map<
    string,
    InspectedPartition & { dataFiles: number; records: number; bytes: number; positionDeleteFiles: number; equalityDeleteFiles: number }
  >();
  for (const file of files) {
    const key = `${file.specId}:${JSON.stringify(file.partition)}`;
    const held = partitions.get(key) ?? {
      specId: file.specId,
      partition: file.partition,
      dataFiles: 0,
      records: 0,
      bytes: 0,
      positionDeleteFiles: 0,
      equalityDeleteFiles: 0,
    };
    if (file.content === 'data') {
      held.dataFiles++;
      held.records += file.records;
      held.bytes += file.bytes;
    } else if (file.content === 'position-deletes') held.positionDeleteFiles++;
    else held.equalityDeleteFiles++;
    partitions.set(key, held);
  }
  return [...partitions.values()];
}

/** The snapshot log, oldest first, with whether each snapshot is an ancestor of the current one. */
export function tableHistory(table: LoadedTable): HistoryEntry[] {
  const { metadata } = table;
  const ancestors = new Set(
    metadata.currentSnapshotId === null
      ? []
      : [...ancestorsOf(metadata, metadata.currentSnapshotId)].map((snapshot) => snapshot.snapshotId),
  );
  return metadata.snapshotLog.map((entry) => {
    const snapshot = snapshotById(metadata, entry.snapshotId);
    return {
      snapshotId: entry.snapshotId.toString(),
      parentId: snapshot?.parentSnapshotId?.toString() ?? null,
      madeCurrentAt: isoMillis(entry.timestampMs),
      operation: snapshot?.summary.operation ?? null,
      isCurrentAncestor: ancestors.has(entry.snapshotId),
    };
  });
}

/** Partition values by field name, in the spec's JSON single-value form (dates as text, buckets as numbers). */
function partitionObject(table: LoadedTable, specId: number, values: DataFile['partition']): Record<string, unknown> {
  const spec = table.metadata.partitionSpecs.find((candidate) => candidate.specId === specId);
  const schema = currentSchema(table.metadata);
  const result: Record<string, unknown> = {};
  spec?.fields.forEach((field, index) => {
    const value = values[index] ?? null;
    const source = findField(schema, field.sourceId);
    if (value === null || !source || typeof source.type !== 'string') {
      result[field.name] = value === null ? null : String(value);
      return;
    }
    const resultType = parseTransform(field.transform).bind(source.type).resultType as PrimitiveType;
    result[field.name] = toJsonValue(resultType, value);
  });
  return result;
}
