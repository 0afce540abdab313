/** Small TableChanges for catalog and commit-loop tests: an empty snapshot, a property, a column. */
import { randomBytes } from 'node:crypto';
import type { LoadedTable } from '../../../iceberg/catalog/catalog.js';
import { IDEMPOTENCY_KEY_PROPERTY } from '../../../iceberg/commit/table-change.js';
import type { PreparedChange, TableChange } from '../../../iceberg/commit/table-change.js';
import { currentSchema } from '../../../iceberg/spec/metadata.js';
import { highestFieldId } from '../../../iceberg/spec/schema.js';
import { MAIN_BRANCH } from '../../../iceberg/spec/snapshot.js';
import type { SnapshotSummary } from '../../../iceberg/spec/snapshot.js';
import { defined } from '../../../contracts/defined.js';
import { setProperties } from '../../../iceberg/write/properties.js';

/** A random positive 63-bit id, as Java makes snapshot ids. */
export function randomSnapshotId(): bigint {
  return randomBytes(8).readBigUInt64BE() & 0x7fff_ffff_ffff_ffffn;
}

/**
 * A snapshot with no files on top of the branch head, guarded by assert-ref-snapshot-id (so a
 * concurrent commit is a conflict), carrying `key` as its idempotency key. It points at a manifest
 * list that is never written: catalogs do not read it, and these tests never scan.
 */
export function emptySnapshotChange(
  key?: string,
  hooks: { onPrepare?: (base: LoadedTable) => Promise<void> } = {},
): TableChange & { prepared: number } {
  const change = {
    description: `empty snapshot ${key ?? ''}`.trim(),
    ...defined({ idempotencyKey: key }),
    prepared: 0,
    async prepare(base: LoadedTable): Promise<PreparedChange> {
      change.prepared++;
      await hooks.onPrepare?.(base);
      const metadata = base.metadata;
      const snapshotId = randomSnapshotId();
      const parent = metadata.refs[MAIN_BRANCH]?.snapshotId ?? null;
      const summary: Record<string, string> = { operation: 'append', 'added-data-files': '0' };
      if (key !== undefined) summary[IDEMPOTENCY_KEY_PROPERTY] = key;
      return {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: MAIN_BRANCH, snapshotId: parent }],
        updates: [
          {
            action: 'add-snapshot',
            snapshot: {
              snapshotId,
              parentSnapshotId: parent,
              sequenceNumber: metadata.lastSequenceNumber + 1,
              timestampMs: Date.now(),
              manifestList: `${metadata.location}/metadata/snap-${snapshotId}-empty.avro`,
              summary: summary as SnapshotSummary,
              schemaId: metadata.currentSchemaId,
            },
          },
          { action: 'set-snapshot-ref', refName: MAIN_BRANCH, snapshotId, type: 'branch' },
        ],
      };
    },
  };
  return change;
}

/** Floe's own property change, with a hook before each attempt: properties commute, only the pointer races. */
export function propertyChange(key: string, value: string, hooks: { onPrepare?: (base: LoadedTable) => Promise<void> } = {}): TableChange {
  const change = setProperties({ [key]: value });
  return {
    ...change,
    async prepare(base) {
      await hooks.onPrepare?.(base);
      return change.prepare(base);
    },
  };
}

/** Adds an optional string column to the current schema and makes the result current. */
export function addColumnChange(name: string): TableChange {
  return {
    description: `add column ${name}`,
    async prepare(base) {
      const schema = currentSchema(base.metadata);
      const id = Math.max(base.metadata.lastColumnId, highestFieldId(schema)) + 1;
      return {
        requirements: [
          { type: 'assert-current-schema-id', currentSchemaId: schema.schemaId },
          { type: 'assert-last-assigned-field-id', lastAssignedFieldId: base.metadata.lastColumnId },
        ],
        updates: [
          // A new schema id and last-column-id, as Java's client sends them: Nessie refuses an
          // add-schema without last-column-id, or under an id the table has.
          {
            action: 'add-schema',
            schema: {
              ...schema,
              schemaId: Math.max(...base.metadata.schemas.map((each) => each.schemaId)) + 1,
              fields: [...schema.fields, { id, name, required: false, type: 'string' }],
            },
            lastColumnId: id,
          },
          { action: 'set-current-schema', schemaId: -1 },
        ],
      };
    },
  };
}

/** A promise that resolves once `count` callers have arrived: makes concurrent writers load the same base. */
export function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (release = resolve));
  return async () => {
    arrived++;
    if (arrived >= count) release();
    await all;
  };
}
