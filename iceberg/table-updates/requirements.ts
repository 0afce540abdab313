/**
 * The conditions a commit is made under (REST spec: TableRequirement), checked against the table as
 * the catalog has it now. A failed one means someone else committed first: `commit-conflict`,
 * which the commit loop answers by reloading and replaying.
 */
import { FloeError } from '../../core/errors.js';
import type { TableMetadata } from '../spec/metadata.js';
import { MAIN_BRANCH } from '../spec/snapshot.js';
import type { TableRequirement } from './updates.js';

export function validateRequirements(current: TableMetadata | null, requirements: readonly TableRequirement[], table = 'table'): void {
  for (const requirement of requirements) {
    const found = check(current, requirement);
    if (found !== undefined) {
      throw new FloeError('commit-conflict', `Requirement ${requirement.type} failed for ${table}: ${found}`, {
        context: { table, requirement: requirement.type },
      });
    }
  }
}

/** What was found instead of what the requirement asks for, or undefined when it holds. */
function check(current: TableMetadata | null, requirement: TableRequirement): string | undefined {
  if (requirement.type === 'assert-create') return current === null ? undefined : 'the table already exists';
  if (current === null) return 'the table does not exist';
  switch (requirement.type) {
    case 'assert-table-uuid':
      return differs('table uuid', requirement.uuid, current.tableUuid);
    case 'assert-ref-snapshot-id': {
      const ref = current.refs[requirement.ref];
      const actual = ref?.snapshotId ?? (requirement.ref === MAIN_BRANCH ? current.currentSnapshotId : null);
      if (requirement.snapshotId === null)
        return actual === null ? undefined : `expected ref ${requirement.ref} not to exist, but it points at snapshot ${actual}`;
      if (actual === null) return `expected ref ${requirement.ref} at snapshot ${requirement.snapshotId}, but the ref does not exist`;
      return differs(`ref ${requirement.ref} snapshot id`, requirement.snapshotId, actual);
    }
    case 'assert-last-assigned-field-id':
      return differs('last assigned field id', requirement.lastAssignedFieldId, current.lastColumnId);
    case 'assert-current-schema-id':
      return differs('current schema id', requirement.currentSchemaId, current.currentSchemaId);
    case 'assert-last-assigned-partition-id':
      return differs('last assigned partition id', requirement.lastAssignedPartitionId, current.lastPartitionId);
    case 'assert-default-spec-id':
      return differs('default spec id', requirement.defaultSpecId, current.defaultSpecId);
    case 'assert-default-sort-order-id':
      return differs('default sort order id', requirement.defaultSortOrderId, current.defaultSortOrderId);
  }
}

function differs<T extends string | number | bigint>(what: string, expected: T, actual: T): string | undefined {
  return expected === actual ? undefined : `expected ${what} ${expected}, found ${actual}`;
}
