/** The delete files of a read plan's tasks, each once, with the data files the spec's rules apply it to. */
import { FloeError } from '../../core/errors.js';
import type { ScanTask } from '../../iceberg/scan/plan.js';
import type { DataFile } from '../../iceberg/spec/manifest.js';
import { isDeletionVector } from '../../iceberg/spec/deletion-vector.js';
import { findField } from '../../iceberg/spec/schema.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import { deletionVectorKey } from './deletion-vectors.js';

export interface DeleteFileEntry {
  readonly file: DataFile;
  readonly sequenceNumber: number;
  readonly localPath: string;
  /** Indexes of the data files (tasks) it applies to. */
  readonly appliesTo: Set<number>;
}

/** Every distinct delete file of one kind, with the data files the tasks apply it to. */
export function collectDeletes(
  tasks: readonly ScanTask[],
  kind: 'positionDeletes' | 'equalityDeletes',
  localPath: (location: string) => string,
): Map<string, DeleteFileEntry> {
  const entries = new Map<string, DeleteFileEntry>();
  tasks.forEach((task, dataIndex) => {
    if (kind === 'positionDeletes') requireVectorAlone(task);
    for (const ref of task[kind]) {
      const expected = kind === 'positionDeletes' ? 'position-deletes' : 'equality-deletes';
      if (ref.file.content !== expected) {
        throw new FloeError('invalid-input', `A ${ref.file.content} file is listed among a task's ${kind}`, {
          context: { file: ref.file.filePath, dataFile: task.dataFile.filePath },
        });
      }
      const applies =
        kind === 'positionDeletes' ? ref.dataSequenceNumber >= task.dataSequenceNumber : ref.dataSequenceNumber > task.dataSequenceNumber;
      if (!applies) {
        throw new FloeError(
          'invalid-input',
          `The plan applies a ${expected} file with data sequence number ${ref.dataSequenceNumber} to a data file with data sequence number ${task.dataSequenceNumber}, which the spec forbids (position deletes need ≥, equality deletes >)`,
          { context: { file: ref.file.filePath, dataFile: task.dataFile.filePath } },
        );
      }
      // Deletion vectors share Puffin files: each is its blob.
      const key = isDeletionVector(ref.file) ? deletionVectorKey(ref.file) : ref.file.filePath;
      let entry = entries.get(key);
      if (!entry) {
        entry = {
          file: ref.file,
          sequenceNumber: ref.dataSequenceNumber,
          localPath: localPath(key),
          appliesTo: new Set(),
        };
        entries.set(key, entry);
      } else if (entry.sequenceNumber !== ref.dataSequenceNumber) {
        throw new FloeError(
          'invalid-input',
          `Delete file appears with data sequence numbers ${entry.sequenceNumber} and ${ref.dataSequenceNumber}`,
          { context: { file: ref.file.filePath } },
        );
      }
      entry.appliesTo.add(dataIndex);
    }
  });
  return entries;
}

/**
 * A data file's deletion vector replaces every position delete file of it (spec: "Scan Planning"):
 * a plan that lists both, or two vectors, is not one the planner makes.
 */
function requireVectorAlone(task: ScanTask): void {
  const vectors = task.positionDeletes.filter((ref) => isDeletionVector(ref.file));
  if (vectors.length === 0 || task.positionDeletes.length === 1) return;
  throw new FloeError(
    'invalid-input',
    `The plan applies a deletion vector and ${task.positionDeletes.length - 1} more position deletes to one data file; a deletion vector replaces them all`,
    { context: { dataFile: task.dataFile.filePath } },
  );
}

export interface EqualityGroup {
  readonly fields: readonly NestedField[];
  readonly files: DeleteFileEntry[];
}

/** Equality delete files grouped by their equality field ids, with those fields' current types. */
export function groupByEqualityIds(entries: readonly DeleteFileEntry[], schema: Schema, tableSchema: Schema | undefined): EqualityGroup[] {
  const groups = new Map<string, EqualityGroup>();
  for (const entry of entries) {
    const ids = [...(entry.file.equalityIds ?? [])].sort((a, b) => a - b);
    if (ids.length === 0) {
      throw new FloeError('corrupt', 'An equality delete file lists no equality field ids', { context: { file: entry.file.filePath } });
    }
    const key = ids.join(',');
    let group = groups.get(key);
    if (!group) {
      group = { fields: ids.map((id) => equalityField(id, schema, tableSchema, entry.file.filePath)), files: [] };
      groups.set(key, group);
    }
    group.files.push(entry);
  }
  return [...groups.values()];
}

/** Whether an equality delete applies to exactly the data files with a smaller sequence number. */
export function appliesToAllOlder(entry: DeleteFileEntry, tasks: readonly ScanTask[]): boolean {
  let older = 0;
  for (const task of tasks) if (task.dataSequenceNumber < entry.sequenceNumber) older++;
  return older === entry.appliesTo.size;
}

function equalityField(fieldId: number, schema: Schema, tableSchema: Schema | undefined, file: string): NestedField {
  const topLevel = schema.fields.find((field) => field.id === fieldId) ?? tableSchema?.fields.find((field) => field.id === fieldId);
  if (topLevel) return topLevel;
  const nested = findField(schema, fieldId) ?? (tableSchema ? findField(tableSchema, fieldId) : undefined);
  if (nested) {
    throw new FloeError(
      'unsupported',
      `Equality delete on nested field ${JSON.stringify(nested.name)} (id ${fieldId}): Floe matches equality deletes on top-level columns only`,
      {
        context: { file, fieldId },
      },
    );
  }
  throw new FloeError(
    'invalid-input',
    `Equality delete field id ${fieldId} is not in the plan's schema; pass the table schema to read deletes on columns the scan does not project`,
    {
      context: { file, fieldId },
    },
  );
}

export function assertUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new FloeError('invalid-input', `The scan plan lists the same ${what} twice`, { context: { file: value } });
    seen.add(value);
  }
}
