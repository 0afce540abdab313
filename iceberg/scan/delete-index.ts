/**
 * Which delete files apply to which data file (spec: "Scan Planning"), indexed once per scan plan.
 */
import { FloeError } from '../../core/errors.js';
import { isDeletionVector } from '../spec/deletion-vector.js';
import type { DataFile, ManifestEntry } from '../spec/manifest.js';
import type { TableMetadata } from '../spec/metadata.js';
import { mayReferencePath, onlyReferencedPath } from '../spec/position-deletes.js';
import { partitionKey } from './partition-key.js';
import type { DeleteFileRef } from './plan.js';

export function sequenceNumberOf(entry: ManifestEntry): number {
  // After inheritance every live entry has one; v1 tables have 0 throughout.
  return entry.sequenceNumber ?? 0;
}

/**
 * Delete files grouped by the partition they apply to (spec: "Scan Planning"); position delete
 * files whose entry names their one data file also by that file's path, as Java's DeleteFileIndex
 * keeps file-scoped deletes, so a data file meets only its own. Deletion vectors (v3) by the one
 * data file each names: where one applies, it replaces that file's position delete files.
 */
export class DeleteIndex {
  readonly all: DeleteFileRef[] = [];
  private readonly vectorByPath = new Map<string, { readonly ref: DeleteFileRef; readonly specId: number; readonly partition: string }>();
  private readonly positionByPartition = new Map<string, DeleteFileRef[]>();
  private readonly positionByPath = new Map<string, { readonly ref: DeleteFileRef; readonly partition: string }[]>();
  private readonly equalityByPartition = new Map<string, DeleteFileRef[]>();
  private readonly globalEquality: DeleteFileRef[] = [];

  constructor(
    private readonly metadata: TableMetadata,
    private readonly table: string,
  ) {}

  add(entry: ManifestEntry, specId: number): void {
    const file = entry.dataFile;
    const ref: DeleteFileRef = { file, dataSequenceNumber: sequenceNumberOf(entry) };
    this.all.push(ref);
    const key = partitionKey(specId, file.partition);
    if (isDeletionVector(file)) {
      this.addVector(ref, specId, key);
    } else if (file.content === 'position-deletes') {
      const path = onlyReferencedPath(file);
      if (path === undefined) push(this.positionByPartition, key, ref);
      else push(this.positionByPath, path, { ref, partition: key });
    } else if (this.isUnpartitioned(specId)) {
      this.globalEquality.push(ref);
    } else {
      push(this.equalityByPartition, key, ref);
    }
  }

  positionDeletesFor(dataFile: DataFile, specId: number, dataSequenceNumber: number): DeleteFileRef[] {
    const partition = partitionKey(specId, dataFile.partition);
    const vector = this.vectorFor(dataFile, specId, partition, dataSequenceNumber);
    if (vector !== undefined) return [vector];
    const applies: DeleteFileRef[] = [];
    for (const named of this.positionByPath.get(dataFile.filePath) ?? []) {
      if (named.partition === partition && named.ref.dataSequenceNumber >= dataSequenceNumber) applies.push(named.ref);
    }
    for (const ref of this.positionByPartition.get(partition) ?? []) {
      if (ref.dataSequenceNumber >= dataSequenceNumber && mayReferencePath(ref.file, dataFile.filePath)) applies.push(ref);
    }
    return applies;
  }

  equalityDeletesFor(dataFile: DataFile, specId: number, dataSequenceNumber: number): DeleteFileRef[] {
    const partitioned = this.equalityByPartition.get(partitionKey(specId, dataFile.partition)) ?? [];
    return [...partitioned, ...this.globalEquality].filter((ref) => ref.dataSequenceNumber > dataSequenceNumber);
  }

  /**
   * The deletion vector of `dataFile`, checked as Java's DeleteFileIndex checks it: its sequence
   * number is at least the data file's, and its spec and partition are the data file's; anything
   * else is metadata no writer may produce.
   */
  private vectorFor(dataFile: DataFile, specId: number, partition: string, dataSequenceNumber: number): DeleteFileRef | undefined {
    const vector = this.vectorByPath.get(dataFile.filePath);
    if (vector === undefined) return undefined;
    const { ref } = vector;
    if (ref.dataSequenceNumber < dataSequenceNumber) {
      throw this.corrupt(
        dataFile,
        `has a deletion vector with data sequence number ${ref.dataSequenceNumber}, older than the file's ${dataSequenceNumber}: expected one at least as new`,
      );
    }
    if (vector.specId !== specId || vector.partition !== partition) {
      throw this.corrupt(dataFile, `has a deletion vector of another partition (spec ${vector.specId}): expected the data file's own`);
    }
    return ref;
  }

  private addVector(ref: DeleteFileRef, specId: number, partition: string): void {
    const { file } = ref;
    const dataFile = file.referencedDataFile;
    if (file.content !== 'position-deletes' || dataFile == null || file.contentOffset == null || file.contentSizeInBytes == null) {
      throw new FloeError(
        'corrupt',
        `A Puffin delete file of table ${this.table} is not a deletion vector with referenced_data_file, content_offset and content_size_in_bytes: the spec requires all three`,
        { context: { table: this.table, file: file.filePath } },
      );
    }
    if (this.vectorByPath.has(dataFile)) {
      throw new FloeError(
        'corrupt',
        `Data file ${dataFile} of table ${this.table} has two live deletion vectors; the spec allows at most one per data file in a snapshot`,
        { context: { table: this.table, file: dataFile } },
      );
    }
    this.vectorByPath.set(dataFile, { ref, specId, partition });
  }

  private corrupt(dataFile: DataFile, what: string): FloeError {
    return new FloeError('corrupt', `Data file ${dataFile.filePath} of table ${this.table} ${what}`, {
      context: { table: this.table, file: dataFile.filePath },
    });
  }

  private isUnpartitioned(specId: number): boolean {
    const spec = this.metadata.partitionSpecs.find((candidate) => candidate.specId === specId);
    return !spec || spec.fields.every((field) => field.transform === 'void');
  }
}

/** A position delete file's file_path bounds rule out data files outside them. */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
