/**
 * Tables for planner tests, written with Floe's own Avro writers: data and delete files described
 * by their column values (metrics derived by dataFileMetrics, as a writer would), manifests and a
 * manifest list per snapshot, and a LoadedTable whose metadata is built in memory.
 */
import { FloeError } from '../../../core/errors.js';
import type { LoadedTable } from '../../../iceberg/catalog/catalog.js';
import type { FileInfo, FileIO } from '../../../iceberg/io/file-io.js';
import type { DataFile, ManifestFile } from '../../../iceberg/spec/manifest.js';
import { writeManifest } from '../../../iceberg/spec/manifest-avro.js';
import { writeManifestList } from '../../../iceberg/spec/manifest-list-avro.js';
import type { TableMetadata } from '../../../iceberg/spec/metadata.js';
import { dataFileMetrics } from '../../../iceberg/spec/metrics.js';
import type { ColumnStats } from '../../../iceberg/spec/metrics.js';
import type { PartitionSpec, PartitionValues } from '../../../iceberg/spec/partition.js';
import { findField } from '../../../iceberg/spec/schema.js';
import type { Schema } from '../../../iceberg/spec/schema.js';
import type { Snapshot } from '../../../iceberg/spec/snapshot.js';
import type { PrimitiveType, PrimitiveValue } from '../../../iceberg/spec/types.js';
import { compareValues } from '../../../iceberg/spec/value-order.js';
import { ProcessCaches } from '../../../iceberg/process-caches.js';

/** A FileIO over a Map, for tests that need no disk. */
export class MemoryFileIO implements FileIO {
  readonly files = new Map<string, Uint8Array>();
  readonly reads: string[] = [];

  /** The same files behind a new FileIO, whose reads no plan has cached yet. */
  copy(): MemoryFileIO {
    const copy = new MemoryFileIO();
    for (const [location, bytes] of this.files) copy.files.set(location, bytes);
    return copy;
  }

  async read(location: string): Promise<Uint8Array> {
    this.reads.push(location);
    const bytes = this.files.get(location);
    if (!bytes) throw new FloeError('not-found', `No file ${location}`, { context: { location } });
    return bytes;
  }
  async readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    return (await this.read(location)).subarray(offset, offset + length);
  }
  async write(location: string, data: Uint8Array): Promise<void> {
    this.files.set(location, data);
  }
  async exists(location: string): Promise<boolean> {
    return this.files.has(location);
  }
  async stat(location: string): Promise<FileInfo> {
    const bytes = await this.read(location);
    return { location, size: bytes.length, lastModifiedMs: 0 };
  }
  async delete(location: string): Promise<void> {
    this.files.delete(location);
  }
  upload(): Promise<void> {
    throw new Error('MemoryFileIO.upload is not used by these tests');
  }
  // eslint-disable-next-line require-yield
  async *list(): AsyncIterable<FileInfo> {
    throw new Error('MemoryFileIO.list is not used by these tests');
  }
  localize(): Promise<string> {
    throw new Error('MemoryFileIO.localize is not used by these tests');
  }
}

export type ColumnValues = Readonly<Record<number, readonly (PrimitiveValue | null)[]>>;

/**
 * A data or delete file whose metrics are derived from its column values (by field id) under the
 * table's metrics properties, the way a writer derives them.
 */
export function fileWithValues(
  schema: Schema,
  path: string,
  partition: PartitionValues,
  columns: ColumnValues,
  options: { content?: DataFile['content']; properties?: Readonly<Record<string, string>>; recordCount?: number } = {},
): DataFile {
  const stats: ColumnStats[] = Object.entries(columns).map(([id, values]) => {
    const fieldId = Number(id);
    const type = findField(schema, fieldId)!.type as PrimitiveType;
    const present = values.filter((v): v is PrimitiveValue => v !== null);
    const ordered = present.filter((v) => !(typeof v === 'number' && Number.isNaN(v))).sort((a, b) => compareValues(type, a, b));
    return {
      fieldId,
      valueCount: values.length,
      nullCount: values.length - present.length,
      nanCount: present.length - ordered.length,
      ...(ordered.length > 0 ? { min: ordered[0]!, max: ordered[ordered.length - 1]! } : {}),
    };
  });
  const recordCount = options.recordCount ?? Math.max(0, ...Object.values(columns).map((values) => values.length));
  return {
    content: options.content ?? 'data',
    filePath: path,
    fileFormat: 'PARQUET',
    partition,
    recordCount,
    fileSizeInBytes: 100 + recordCount,
    ...dataFileMetrics(schema, stats, options.properties ?? {}),
    ...(options.content === 'equality-deletes' ? { equalityIds: [1] } : {}),
  };
}

export interface ManifestInput {
  readonly path: string;
  readonly content: 'data' | 'deletes';
  readonly spec: PartitionSpec;
  readonly schema: Schema;
  readonly files: readonly DataFile[];
  readonly snapshotId: bigint;
  readonly sequenceNumber: number;
}

/** Writes a v2 manifest of ADDED entries (they inherit the manifest's sequence number) and returns its manifest list entry. */
export async function writeManifestFile(io: FileIO, input: ManifestInput): Promise<ManifestFile> {
  const written = writeManifest(
    input.files.map((dataFile) => ({
      status: 'added' as const,
      snapshotId: null,
      sequenceNumber: null,
      fileSequenceNumber: null,
      dataFile,
    })),
    { formatVersion: 2, spec: input.spec, schema: input.schema, content: input.content, snapshotId: null },
  );
  await io.write(input.path, written.bytes);
  return {
    manifestPath: input.path,
    manifestLength: written.bytes.length,
    partitionSpecId: input.spec.specId,
    content: input.content,
    sequenceNumber: input.sequenceNumber,
    minSequenceNumber: input.sequenceNumber,
    addedSnapshotId: input.snapshotId,
    addedFilesCount: written.addedFilesCount,
    existingFilesCount: written.existingFilesCount,
    deletedFilesCount: written.deletedFilesCount,
    addedRowsCount: written.addedRowsCount,
    existingRowsCount: written.existingRowsCount,
    deletedRowsCount: written.deletedRowsCount,
    partitions: written.partitions,
    keyMetadata: null,
  };
}

export interface SnapshotInput {
  readonly snapshotId: bigint;
  readonly parentSnapshotId: bigint | null;
  readonly sequenceNumber: number;
  readonly schemaId: number;
  readonly manifests: readonly ManifestFile[];
  readonly manifestListPath: string;
}

export async function writeSnapshot(io: FileIO, input: SnapshotInput): Promise<Snapshot> {
  const bytes = writeManifestList(input.manifests, {
    formatVersion: 2,
    snapshotId: input.snapshotId,
    parentSnapshotId: input.parentSnapshotId,
    sequenceNumber: input.sequenceNumber,
  });
  await io.write(input.manifestListPath, bytes);
  return {
    snapshotId: input.snapshotId,
    parentSnapshotId: input.parentSnapshotId,
    sequenceNumber: input.sequenceNumber,
    timestampMs: 1_700_000_000_000 + input.sequenceNumber * 1000,
    manifestList: input.manifestListPath,
    summary: { operation: 'append' },
    schemaId: input.schemaId,
  };
}

export function loadedTable(
  io: FileIO,
  input: {
    location: string;
    schemas: readonly Schema[];
    currentSchemaId: number;
    specs: readonly PartitionSpec[];
    snapshots: readonly Snapshot[];
  },
): LoadedTable {
  const current = input.snapshots[input.snapshots.length - 1];
  const metadata: TableMetadata = {
    formatVersion: 2,
    tableUuid: '9b1f6f0c-1d2e-4c3b-8a7d-000000000001',
    location: input.location,
    lastSequenceNumber: current?.sequenceNumber ?? 0,
    lastUpdatedMs: current?.timestampMs ?? 0,
    lastColumnId: Math.max(...input.schemas.flatMap((schema) => schema.fields.map((field) => field.id))),
    schemas: input.schemas,
    currentSchemaId: input.currentSchemaId,
    partitionSpecs: input.specs,
    defaultSpecId: input.specs[input.specs.length - 1]?.specId ?? 0,
    lastPartitionId: Math.max(999, ...input.specs.flatMap((spec) => spec.fields.map((field) => field.fieldId))),
    properties: {},
    currentSnapshotId: current?.snapshotId ?? null,
    snapshots: input.snapshots,
    snapshotLog: input.snapshots.map((snapshot) => ({ timestampMs: snapshot.timestampMs, snapshotId: snapshot.snapshotId })),
    metadataLog: [],
    sortOrders: [{ orderId: 0, fields: [] }],
    defaultSortOrderId: 0,
    refs: current ? { main: { snapshotId: current.snapshotId, type: 'branch' } } : {},
    extra: {},
  };
  return {
    identifier: { namespace: ['db'], name: 'events' },
    metadataLocation: `${input.location}/metadata/v1.metadata.json`,
    metadata,
    io,
    caches: new ProcessCaches(),
  };
}
