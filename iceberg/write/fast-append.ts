import { randomUUID } from 'node:crypto';
import type { LoadedTable } from '../catalog/catalog.js';
import type { PreparedChange, TableChange } from '../commit/table-change.js';
import { IDEMPOTENCY_KEY_PROPERTY } from '../commit/table-change.js';
import { FloeError } from '../errors.js';
import type { FieldSummary, ManifestFile } from '../spec/manifest.js';
import { readManifestList, writeManifestList } from '../spec/manifest-list-avro.js';
import { snapshotForRef } from '../spec/metadata.js';
import type { Snapshot } from '../spec/snapshot.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import { newSnapshotId } from './snapshot-id.js';
import { buildSummary } from './snapshot-summary.js';

/** A manifest of added data files, written before the commit and reused by every attempt of it. */
export interface ManifestToAppend {
  readonly location: string;
  readonly length: number;
  readonly specId: number;
  readonly addedFilesCount: number;
  readonly addedRowsCount: number;
  readonly addedFilesSize: number;
  readonly partitions: readonly FieldSummary[];
  readonly changedPartitionCount: number;
}

export interface FastAppendOptions {
  readonly idempotencyKey?: string;
  readonly branch?: string;
  /** Extra snapshot summary properties, such as the materialized window. */
  readonly summary?: Readonly<Record<string, string>>;
}

/**
 * Appends already-written manifests in a new snapshot (Java's "fast append"): the new snapshot's
 * manifest list is the branch head's manifests plus these, whose entries inherit the new snapshot
 * id and sequence number. An append never conflicts with anything but a moved branch head, so on
 * conflict it simply replays onto the new head.
 */
export function fastAppend(manifests: readonly ManifestToAppend[], options: FastAppendOptions = {}): TableChange {
  const branch = options.branch ?? MAIN_BRANCH;
  const files = manifests.reduce((sum, manifest) => sum + manifest.addedFilesCount, 0);
  let attempt = 0;
  return {
    description: `append ${files} data file(s) in ${manifests.length} manifest(s)`,
    idempotencyKey: options.idempotencyKey,
    branch,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      attempt += 1;
      const { metadata } = base;
      if (metadata.formatVersion < 2) {
        throw new FloeError('unsupported', 'Appending pre-written manifests needs format version 2 or later (v1 manifests cannot inherit snapshot ids)', {
          context: { table: base.metadataLocation, formatVersion: metadata.formatVersion },
        });
      }
      const parent = snapshotForRef(metadata, branch) ?? null;
      const snapshotId = newSnapshotId(metadata);
      const sequenceNumber = metadata.lastSequenceNumber + 1;
      const added: ManifestFile[] = manifests.map((manifest) => ({
        manifestPath: manifest.location,
        manifestLength: manifest.length,
        partitionSpecId: manifest.specId,
        content: 'data',
        sequenceNumber,
        minSequenceNumber: sequenceNumber,
        addedSnapshotId: snapshotId,
        addedFilesCount: manifest.addedFilesCount,
        existingFilesCount: 0,
        deletedFilesCount: 0,
        addedRowsCount: manifest.addedRowsCount,
        existingRowsCount: 0,
        deletedRowsCount: 0,
        partitions: manifest.partitions,
        keyMetadata: null,
      }));
      const inherited = parent ? await manifestsOf(base, parent) : [];
      const manifestListLocation = `${metadataDirectory(base)}/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`;
      const listBytes = writeManifestList([...added, ...inherited], {
        formatVersion: metadata.formatVersion,
        snapshotId,
        parentSnapshotId: parent?.snapshotId ?? null,
        sequenceNumber,
      });
      await base.io.write(manifestListLocation, listBytes, { ifAbsent: true });

      const extra: Record<string, string> = { ...options.summary };
      if (options.idempotencyKey !== undefined) extra[IDEMPOTENCY_KEY_PROPERTY] = options.idempotencyKey;
      const summary = buildSummary(
        'append',
        {
          addedDataFiles: files,
          addedRecords: manifests.reduce((sum, manifest) => sum + manifest.addedRowsCount, 0),
          addedFilesSize: manifests.reduce((sum, manifest) => sum + manifest.addedFilesSize, 0),
          changedPartitionCount: manifests.reduce((sum, manifest) => sum + manifest.changedPartitionCount, 0),
        },
        parent,
        extra,
      );
      const snapshot: Snapshot = {
        snapshotId,
        parentSnapshotId: parent?.snapshotId ?? null,
        sequenceNumber,
        timestampMs: Date.now(),
        manifestList: manifestListLocation,
        summary,
        schemaId: metadata.currentSchemaId,
      };
      return {
        requirements: [
          { type: 'assert-table-uuid', uuid: metadata.tableUuid },
          { type: 'assert-ref-snapshot-id', ref: branch, snapshotId: parent?.snapshotId ?? null },
        ],
        updates: [
          { action: 'add-snapshot', snapshot },
          { action: 'set-snapshot-ref', refName: branch, type: 'branch', snapshotId },
        ],
      };
    },
  };
}

async function manifestsOf(table: LoadedTable, snapshot: Snapshot): Promise<ManifestFile[]> {
  if (snapshot.manifestList === null) {
    throw new FloeError('unsupported', 'The branch head lists its manifests inline (format v1 without a manifest list)', { context: { table: table.metadataLocation } });
  }
  const bytes = await table.io.read(snapshot.manifestList);
  return readManifestList(bytes, { location: snapshot.manifestList, formatVersion: table.metadata.formatVersion });
}

export function metadataDirectory(table: LoadedTable): string {
  return `${table.metadata.location.replace(/\/+$/, '')}/metadata`;
}

export function dataDirectory(table: LoadedTable): string {
  const configured = table.metadata.properties['write.data.path'];
  return configured ? configured.replace(/\/+$/, '') : `${table.metadata.location.replace(/\/+$/, '')}/data`;
}
