import { and, bind, isIn, metricsEvaluator, partitionEvaluator } from '../../iceberg/expressions/index.js';
import type { Expression, FilterLiteral } from '../../iceberg/expressions/index.js';
import type { ScanPlan, ScanTask } from '../../iceberg/scan/plan.js';
import type { PartitionSpec } from '../../iceberg/spec/partition.js';
import type { Schema } from '../../iceberg/spec/schema.js';
import { parseTransform } from '../../iceberg/spec/transforms.js';
import type { BoundTransform } from '../../iceberg/spec/transforms.js';
import type { PrimitiveValue } from '../../iceberg/spec/types.js';
import type { KeyColumn } from './entity-keys.js';

/** Which data files a set of keys must look into, and for which of the keys. */
export interface FileSelection {
  readonly task: ScanTask;
  /** Lookup strings of the keys that may be in this file. */
  readonly lookups: readonly string[];
}

/**
 * The data files of one snapshot of an online table, grouped by the bucket of the first join key
 * (Iceberg's bucket transform, as each file's partition records it), so a read goes straight to
 * the files of its keys' buckets and never replans. Within those, the planner's own evaluators
 * for `key IN (…)` prune by partition and by column statistics, exactly as
 * `planScan(table, { filter })` would.
 */
export class FileIndex {
  private readonly byBucket = new Map<string, ScanTask[]>();
  /** Files of specs without a bucket on the first key (e.g. an hour-only layout): every read considers them. */
  private readonly unbucketed: ScanTask[] = [];
  private readonly bucketings: { readonly modulus: number; readonly transform: BoundTransform }[] = [];

  constructor(
    readonly plan: ScanPlan,
    private readonly schema: Schema,
    private readonly specs: readonly PartitionSpec[],
    private readonly keys: readonly KeyColumn[],
  ) {
    const bucketFieldOf = new Map<number, { index: number; modulus: number } | null>();
    for (const spec of specs) {
      const index = spec.fields.findIndex((field) => field.sourceId === this.keyFieldId() && /^bucket\[\d+\]$/.test(field.transform));
      if (index < 0) {
        bucketFieldOf.set(spec.specId, null);
        continue;
      }
      const transform = parseTransform(spec.fields[index]!.transform);
      const modulus = transform.parameter!;
      bucketFieldOf.set(spec.specId, { index, modulus });
      if (!this.bucketings.some((bucketing) => bucketing.modulus === modulus)) this.bucketings.push({ modulus, transform: transform.bind(keys[0]!.type) });
    }
    for (const task of plan.tasks) {
      const field = bucketFieldOf.get(task.specId);
      const bucket = field ? task.dataFile.partition[field.index] : undefined;
      if (!field || bucket === undefined || bucket === null) this.unbucketed.push(task);
      else push(this.byBucket, `${field.modulus}:${String(bucket)}`, task);
    }
  }

  get dataFiles(): number {
    return this.plan.tasks.length;
  }

  /** The files that may hold any of the keys (lookup string → typed key values), each with the keys it may hold. */
  select(keys: ReadonlyMap<string, readonly PrimitiveValue[]>): FileSelection[] {
    if (this.plan.tasks.length === 0 || keys.size === 0) return [];
    // Keys by the bucket group they fall in; keys of the same group share candidate files.
    const groups = new Map<string, { tasks: Set<ScanTask>; lookups: string[]; values: (readonly PrimitiveValue[])[] }>();
    for (const [lookup, values] of keys) {
      const buckets = this.bucketings.map(({ modulus, transform }) => `${modulus}:${String(transform.apply(values[0]!))}`);
      const groupKey = buckets.join('|');
      let group = groups.get(groupKey);
      if (!group) {
        group = { tasks: new Set([...buckets.flatMap((bucket) => this.byBucket.get(bucket) ?? []), ...this.unbucketed]), lookups: [], values: [] };
        groups.set(groupKey, group);
      }
      group.lookups.push(lookup);
      group.values.push(values);
    }
    const selected = new Map<ScanTask, string[]>();
    for (const group of groups.values()) {
      if (group.tasks.size === 0) continue;
      const filter = this.keyFilter(group.values);
      const partitions = partitionEvaluator(filter, this.specs);
      const metrics = metricsEvaluator(filter);
      for (const task of group.tasks) {
        if (!partitions(task.specId, task.dataFile.partition) || !metrics(task.dataFile)) continue;
        const lookups = selected.get(task);
        if (lookups) lookups.push(...group.lookups);
        else selected.set(task, [...group.lookups]);
      }
    }
    return [...selected].map(([task, lookups]) => ({ task, lookups }));
  }

  /** `k1 IN (…) AND k2 IN (…)`: the filter a scan for these keys would plan with, bound to the table. */
  private keyFilter(values: readonly (readonly PrimitiveValue[])[]) {
    const predicates: Expression[] = this.keys.map((key, index) => isIn(key.name, values.map((value) => value[index] as FilterLiteral)));
    return bind(predicates.length === 1 ? predicates[0]! : and(...predicates), this.schema);
  }

  private keyFieldId(): number {
    const field = this.schema.fields.find((candidate) => candidate.name === this.keys[0]!.name);
    return field?.id ?? -1;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
