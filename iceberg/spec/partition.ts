import type { PrimitiveValue } from './types.js';

/** A partition spec (spec: "Partitioning"). `transform` keeps the spec's text: `bucket[16]`, `day`, … */
export interface PartitionField {
  readonly sourceId: number;
  /** v1 metadata may omit it; parsing assigns 1000, 1001, … as the spec says. */
  readonly fieldId: number;
  readonly name: string;
  readonly transform: string;
}

export interface PartitionSpec {
  readonly specId: number;
  readonly fields: readonly PartitionField[];
}

/** One data file's partition tuple, in the order of its spec's fields; null for a null value. */
export type PartitionValues = readonly (PrimitiveValue | null)[];
