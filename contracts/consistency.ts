// What the consistency workflow takes, answers to its `progress` query and returns; the library's
// report shape too (features/consistency), so workflows, activities and the CLI share one type.

/** A consistency check of one feature view (see features/consistency/check.ts). */
export interface ConsistencyInput {
  readonly featureView: string;
  /** Entities sampled from the online table (default 1000). */
  readonly sample?: number;
  /** Chooses the sample; by default one derived from the workflow id, so each scheduled run looks at other entities, and a run can be repeated with the seed its result reports. */
  readonly seed?: number;
  /** Mismatching entities named per feature (default 10). */
  readonly examples?: number;
  /** The Iceberg table the report's rows are appended to (default floe.yaml's `monitoring.consistencyTable`). */
  readonly reportTable?: string;
}

/** One entity whose online value of a feature differs from the offline one. */
export interface MismatchExample {
  /** The entity's join key values, as JSON text (longs exact). */
  readonly entity: string;
  readonly online: string;
  readonly offline: string;
}

export interface FeatureConsistency {
  readonly feature: string;
  readonly mismatches: number;
  /** mismatches / sampled; 0 when nothing was sampled. */
  readonly mismatchRate: number;
  /** The first mismatching entities (in sample order), at most the check's `examples`. */
  readonly examples: readonly MismatchExample[];
}

/** What a consistency check found for one view. */
export interface ConsistencyReport {
  readonly featureView: string;
  /** When the check ran (ISO-8601). */
  readonly checkedAt: string;
  /** The instant the online values are exact for, at which the offline values were computed. */
  readonly exactAsOf: string;
  /** The online table's snapshot read. */
  readonly onlineSnapshotId: string | null;
  readonly seed: number;
  readonly sampled: number;
  /** Distinct entities in the online table. */
  readonly population: number;
  /** Mismatching (entity, feature) pairs. */
  readonly mismatches: number;
  readonly features: readonly FeatureConsistency[];
}

export interface ConsistencyResult extends ConsistencyReport {
  /** The report table the rows went to, and the snapshot that added them. */
  readonly reportTable: string;
  readonly reportSnapshotId: string | null;
}

export interface ConsistencyProgress {
  readonly phase: 'checking' | 'reporting' | 'done';
  readonly featureView: string;
  readonly seed: number;
  /** Known once the check is done. */
  readonly mismatches: number | null;
}

/** A sample seed from a workflow id (FNV-1a, 32 bits): deterministic, and different for each scheduled run. */
export function seedFromWorkflowId(workflowId: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < workflowId.length; index++) {
    hash ^= workflowId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
