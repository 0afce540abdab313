/**
 * The consistency rules table metadata must satisfy (spec: "Table Metadata Fields"), as problems
 * naming the offending field. Parsing reports them as `corrupt`; applying updates as `invalid-input`.
 */
import type { TableMetadata } from './metadata.js';
import { MAIN_BRANCH } from './snapshot.js';

export interface MetadataProblem {
  readonly field: string;
  readonly message: string;
}

export function metadataProblems(metadata: TableMetadata): MetadataProblem[] {
  const problems: MetadataProblem[] = [];
  const schemaIds = new Set(metadata.schemas.map((schema) => schema.schemaId));
  const specIds = new Set(metadata.partitionSpecs.map((spec) => spec.specId));
  const orderIds = new Set(metadata.sortOrders.map((order) => order.orderId));
  const snapshotIds = new Set<bigint>();
  for (const snapshot of metadata.snapshots) {
    if (snapshotIds.has(snapshot.snapshotId))
      problems.push({ field: 'snapshots', message: `snapshot id ${snapshot.snapshotId} appears twice` });
    snapshotIds.add(snapshot.snapshotId);
  }
  if (schemaIds.size !== metadata.schemas.length) problems.push({ field: 'schemas', message: 'two schemas share a schema-id' });
  if (specIds.size !== metadata.partitionSpecs.length)
    problems.push({ field: 'partition-specs', message: 'two partition specs share a spec-id' });
  if (!schemaIds.has(metadata.currentSchemaId)) {
    problems.push({
      field: 'current-schema-id',
      message: `current-schema-id ${metadata.currentSchemaId} is not among the schemas (${[...schemaIds].join(', ')})`,
    });
  }
  if (!specIds.has(metadata.defaultSpecId)) {
    problems.push({
      field: 'default-spec-id',
      message: `default-spec-id ${metadata.defaultSpecId} is not among the partition specs (${[...specIds].join(', ')})`,
    });
  }
  if (!orderIds.has(metadata.defaultSortOrderId)) {
    problems.push({
      field: 'default-sort-order-id',
      message: `default-sort-order-id ${metadata.defaultSortOrderId} is not among the sort orders (${[...orderIds].join(', ')})`,
    });
  }
  if (metadata.currentSnapshotId !== null && !snapshotIds.has(metadata.currentSnapshotId)) {
    problems.push({
      field: 'current-snapshot-id',
      message: `current-snapshot-id ${metadata.currentSnapshotId} is not among the snapshots`,
    });
  }
  for (const [name, ref] of Object.entries(metadata.refs)) {
    if (!snapshotIds.has(ref.snapshotId))
      problems.push({
        field: `refs.${name}`,
        message: `ref ${name} points at snapshot ${ref.snapshotId}, which is not among the snapshots`,
      });
  }
  const main = metadata.refs[MAIN_BRANCH];
  if (main !== undefined && main.snapshotId !== metadata.currentSnapshotId) {
    problems.push({
      field: 'current-snapshot-id',
      message: `current-snapshot-id ${metadata.currentSnapshotId} differs from the main branch's snapshot ${main.snapshotId}`,
    });
  }
  if (main !== undefined && main.type !== 'branch') problems.push({ field: 'refs.main', message: 'main must be a branch' });
  return problems;
}
