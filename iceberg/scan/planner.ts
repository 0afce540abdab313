import type { LoadedTable } from '../catalog/catalog.js';
import { FloeError } from '../../core/errors.js';
import { bind } from '../expressions/bind.js';
import type { BoundExpression } from '../expressions/bound.js';
import type { Expression } from '../expressions/expression.js';
import { manifestEvaluator } from '../expressions/manifest-evaluator.js';
import type { ManifestEvaluator } from '../expressions/manifest-evaluator.js';
import { metricsEvaluator } from '../expressions/metrics-evaluator.js';
import type { MetricsEvaluator } from '../expressions/metrics-evaluator.js';
import { partitionEvaluator } from '../expressions/partition-evaluator.js';
import type { PartitionEvaluator } from '../expressions/partition-evaluator.js';
import { isDeletionVector } from '../spec/deletion-vector.js';
import { inheritManifestEntries } from '../spec/manifest-avro.js';
import type { DataFile, ManifestEntry, ManifestFile } from '../spec/manifest.js';
import { ancestorsOf, currentSchema, schemaById, snapshotAsOf, snapshotById, snapshotForRef } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/metadata.js';
import type { PartitionSpec } from '../spec/partition.js';
import type { Schema } from '../spec/schema.js';
import type { Snapshot } from '../spec/snapshot.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import { readManifestOf, snapshotManifests } from './manifest-cache.js';
import { DeleteIndex, sequenceNumberOf } from './delete-index.js';
import type { ScanPlan, ScanTask } from './plan.js';
import { defined } from '../../contracts/defined.js';

export interface ScanOptions {
  /** Read this snapshot; the others select one too, and at most one may be given. */
  readonly snapshotId?: bigint;
  readonly ref?: string;
  /** The snapshot that was current at this time (milliseconds since the epoch). */
  readonly asOfTimestampMs?: number;
  /** Top-level columns to read, by name; all when absent. */
  readonly columns?: readonly string[];
  /**
   * Rows to read. Manifests and data files that cannot hold a matching row are skipped; the plan
   * keeps the bound filter, which the reader still applies to every row of the files kept.
   */
  readonly filter?: Expression;
  /**
   * A further test of each data file the filter keeps (keySetPruning, for one): a file it rejects
   * is skipped and counted in dataFilesSkipped. It only prunes: the rows of the files kept are not
   * filtered by it, so it may only reject files whose rows the caller never needs.
   */
  readonly keepDataFile?: (file: DataFile, specId: number) => boolean;
  /** Manifests read at once. */
  readonly concurrency?: number;
  /**
   * An incremental append scan (Java's IncrementalAppendScan): only the data files added by the
   * appends after `snapshotId` (exclusive; null: from the first snapshot) up to the one read.
   * Every snapshot in between must be an `append`, or a `replace` (which changes no rows), so no
   * delete file can apply to those files; only the manifests those appends added are opened.
   */
  readonly appendedAfter?: { readonly snapshotId: bigint | null };
}

/**
 * Plans a read of one snapshot from its manifest list and manifests — never by listing a folder —
 * and attaches to every data file the delete files the spec says apply to it.
 */
export async function planScan(table: LoadedTable, options: ScanOptions = {}): Promise<ScanPlan> {
  const { metadata } = table;
  const snapshot = selectSnapshot(metadata, options, tableName(table));
  const readAs = readSchema(metadata, snapshot, options);
  const schema = project(readAs, options.columns, tableName(table));
  const filter = options.filter === undefined ? undefined : bind(options.filter, readAs, { table: tableName(table) });
  if (!snapshot) return emptyPlan(schema, filter);

  const pruning = filter === undefined ? undefined : new Pruning(filter, metadata.partitionSpecs);
  const range =
    options.appendedAfter === undefined
      ? undefined
      : appendSnapshotsAfter(metadata, snapshot, options.appendedAfter.snapshotId, table.metadataLocation);
  const appended = range === undefined ? undefined : new Set(range.appends.map((append) => append.snapshotId));
  const listed =
    range === undefined || appended === undefined
      ? await snapshotManifests(table, snapshot)
      : await appendedManifests(table, snapshot, { ...range, ids: appended }, options.concurrency ?? 8);
  const manifests = pruning ? listed.filter((manifest) => pruning.manifestMayMatch(manifest)) : listed;
  const perManifest = await mapWithConcurrency(manifests, options.concurrency ?? 8, async (manifest) => {
    const read = await readManifestOf(table, metadata, manifest);
    // Inherited before dropping deleted entries: a v3 file's first_row_id counts the files before it.
    const live = inheritManifestEntries(read.entries, manifest)
      .filter((entry) => entry.status !== 'deleted')
      .map((entry) => ({ entry, specId: read.specId }));
    // A merged manifest also lists older files as EXISTING: only files added in the range count.
    return appended === undefined
      ? live
      : live.filter(({ entry }) => entry.status === 'added' && entry.snapshotId !== null && appended.has(entry.snapshotId));
  });

  const dataEntries: { entry: ManifestEntry; specId: number }[] = [];
  const deletes = new DeleteIndex(metadata, tableName(table));
  let dataFilesSkipped = 0;
  for (const { entry, specId } of perManifest.flat()) {
    if (entry.dataFile.content === 'data') {
      const kept =
        (!pruning || pruning.dataFileMayMatch(entry.dataFile, specId)) && (options.keepDataFile?.(entry.dataFile, specId) ?? true);
      if (kept) dataEntries.push({ entry, specId });
      else dataFilesSkipped += 1;
    } else if (!pruning || pruning.deleteFileMayApply(entry.dataFile, specId)) {
      deletes.add(entry, specId);
    }
  }

  const tasks: ScanTask[] = dataEntries.map(({ entry, specId }) => {
    const dataSequenceNumber = sequenceNumberOf(entry);
    return {
      dataFile: entry.dataFile,
      dataSequenceNumber,
      specId,
      positionDeletes: deletes.positionDeletesFor(entry.dataFile, specId, dataSequenceNumber),
      equalityDeletes: deletes.equalityDeletesFor(entry.dataFile, specId, dataSequenceNumber),
    };
  });

  // By entry, not path: deletion vectors share Puffin files.
  const applied = new Set(tasks.flatMap((task) => [...task.positionDeletes, ...task.equalityDeletes]));
  const appliedOf = (kind: (file: DataFile) => boolean): number => deletes.all.filter((ref) => kind(ref.file) && applied.has(ref)).length;
  return {
    snapshotId: snapshot.snapshotId,
    schema,
    mode: applied.size === 0 ? 'copy-on-write' : 'merge-on-read',
    tasks,
    ...defined({ filter }),
    summary: {
      dataFiles: tasks.length,
      positionDeleteFiles: appliedOf((file) => file.content === 'position-deletes' && !isDeletionVector(file)),
      equalityDeleteFiles: appliedOf((file) => file.content === 'equality-deletes'),
      deletionVectors: appliedOf(isDeletionVector),
      dataRecords: tasks.reduce((sum, task) => sum + task.dataFile.recordCount, 0),
      manifestsRead: manifests.length,
      manifestsSkipped: listed.length - manifests.length,
      dataFilesSkipped,
    },
  };
}

/**
 * What a filter rules out. Data files go by partition and column metrics. Delete files go by
 * partition only (their column metrics describe the deleted rows, not the rows they delete): a
 * delete applies only to data files of its own spec and partition (an unpartitioned one, to all,
 * and the projection onto an unpartitioned spec is always true), and those are ruled out by the
 * same partition test, so no kept data file ever loses a delete that applies to it.
 */
class Pruning {
  private readonly manifests: ManifestEvaluator;
  private readonly partitions: PartitionEvaluator;
  private readonly metrics: MetricsEvaluator;

  constructor(filter: BoundExpression, specs: readonly PartitionSpec[]) {
    this.manifests = manifestEvaluator(filter, specs);
    this.partitions = partitionEvaluator(filter, specs);
    this.metrics = metricsEvaluator(filter);
  }

  manifestMayMatch(manifest: ManifestFile): boolean {
    return this.manifests(manifest);
  }

  dataFileMayMatch(file: DataFile, specId: number): boolean {
    return this.partitions(specId, file.partition) && this.metrics(file);
  }

  deleteFileMayApply(file: DataFile, specId: number): boolean {
    return this.partitions(specId, file.partition);
  }
}

function tableName(table: LoadedTable): string {
  return [...table.identifier.namespace, table.identifier.name].join('.');
}

export function selectSnapshot(metadata: TableMetadata, options: ScanOptions, location: string): Snapshot | null {
  const selectors = [options.snapshotId, options.ref, options.asOfTimestampMs].filter((value) => value !== undefined);
  if (selectors.length > 1)
    throw new FloeError('invalid-input', 'Choose a snapshot by at most one of snapshot id, ref or timestamp', {
      context: { table: location },
    });
  if (options.snapshotId !== undefined)
    return snapshotById(metadata, options.snapshotId) ?? notFound(`snapshot ${options.snapshotId}`, location);
  if (options.ref !== undefined) return snapshotForRef(metadata, options.ref) ?? notFound(`ref ${JSON.stringify(options.ref)}`, location);
  if (options.asOfTimestampMs !== undefined) {
    return (
      snapshotAsOf(metadata, options.asOfTimestampMs) ??
      notFound(`snapshot as of ${new Date(options.asOfTimestampMs).toISOString()}`, location)
    );
  }
  return metadata.currentSnapshotId === null ? null : (snapshotById(metadata, metadata.currentSnapshotId) ?? null);
}

/**
 * The appends after `afterSnapshotId` up to and including `head`, and whether a replace came
 * between; any other operation is refused. A replace (compaction) adds and removes files without
 * changing the table's rows, so the rows the appends added are still the ones to read. Fails when `afterSnapshotId` is not an ancestor of `head` (expired, or the branch was
 * reset), or, given null, when the ancestry does not reach back to the table's first snapshot.
 */
function appendSnapshotsAfter(
  metadata: TableMetadata,
  head: Snapshot,
  afterSnapshotId: bigint | null,
  location: string,
): { appends: Snapshot[]; replaced: boolean } {
  const appends: Snapshot[] = [];
  let replaced = false;
  let reachedStart = false;
  for (const snapshot of ancestorsOf(metadata, head.snapshotId)) {
    if (snapshot.snapshotId === afterSnapshotId) {
      reachedStart = true;
      break;
    }
    const operation = snapshot.summary.operation;
    if (operation === 'replace') replaced = true;
    else if (operation === 'append') appends.push(snapshot);
    else {
      throw new FloeError(
        'invalid-input',
        `An incremental append scan reads only appends (past replaces, which change no rows), but snapshot ${snapshot.snapshotId} is neither (its operation is ${operation})`,
        {
          context: { table: location, snapshot: snapshot.snapshotId },
        },
      );
    }
    if (snapshot.parentSnapshotId === null) reachedStart = afterSnapshotId === null;
  }
  if (!reachedStart) {
    const from = afterSnapshotId === null ? 'the first snapshot' : `snapshot ${afterSnapshotId}`;
    throw new FloeError(
      'not-found',
      `Cannot scan the appends since ${from}: it is not an ancestor of snapshot ${head.snapshotId} (expired, or the branch was reset)`,
      {
        context: { table: location, snapshot: head.snapshotId },
      },
    );
  }
  return { appends, replaced };
}

/**
 * The data manifests the appends in range wrote. From the head's manifest list when only appends
 * came since (they remove nothing, so every file they added is still listed there); past a replace
 * (a compaction may have rewritten those files into others), from each append's own manifest list,
 * as Java's incremental append scan does: the files stay readable while that snapshot is kept.
 */
async function appendedManifests(
  table: LoadedTable,
  head: Snapshot,
  range: { readonly appends: readonly Snapshot[]; readonly ids: ReadonlySet<bigint>; readonly replaced: boolean },
  concurrency: number,
): Promise<ManifestFile[]> {
  if (!range.replaced)
    return (await snapshotManifests(table, head)).filter(
      (manifest) => manifest.content === 'data' && range.ids.has(manifest.addedSnapshotId),
    );
  const perAppend = await mapWithConcurrency(range.appends, concurrency, async (append) =>
    (await snapshotManifests(table, append)).filter(
      (manifest) => manifest.content === 'data' && manifest.addedSnapshotId === append.snapshotId,
    ),
  );
  return perAppend.flat();
}

/** Time travel reads with the schema the snapshot was written with; a current read with the current schema. */
function readSchema(metadata: TableMetadata, snapshot: Snapshot | null, options: ScanOptions): Schema {
  const timeTravel = options.snapshotId !== undefined || options.ref !== undefined || options.asOfTimestampMs !== undefined;
  if (timeTravel && snapshot?.schemaId != null) return schemaById(metadata, snapshot.schemaId) ?? currentSchema(metadata);
  return currentSchema(metadata);
}

function project(schema: Schema, columns: readonly string[] | undefined, location: string): Schema {
  if (!columns) return schema;
  const fields = columns.map((name) => {
    const field = schema.fields.find((candidate) => candidate.name === name);
    if (!field) {
      throw new FloeError(
        'invalid-input',
        `Column ${JSON.stringify(name)} does not exist; the table's columns are ${schema.fields.map((f) => f.name).join(', ')}`,
        {
          context: { table: location, column: name },
        },
      );
    }
    return field;
  });
  return { ...schema, fields, identifierFieldIds: schema.identifierFieldIds.filter((id) => fields.some((field) => field.id === id)) };
}

function emptyPlan(schema: Schema, filter: BoundExpression | undefined): ScanPlan {
  return {
    snapshotId: null,
    schema,
    mode: 'copy-on-write',
    tasks: [],
    ...defined({ filter }),
    summary: {
      dataFiles: 0,
      positionDeleteFiles: 0,
      equalityDeleteFiles: 0,
      deletionVectors: 0,
      dataRecords: 0,
      manifestsRead: 0,
      manifestsSkipped: 0,
      dataFilesSkipped: 0,
    },
  };
}

function notFound(what: string, location: string): never {
  throw new FloeError('not-found', `No ${what} in table`, { context: { table: location } });
}
