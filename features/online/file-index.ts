import { and, bind, eq, partitionEvaluator } from '../../iceberg/expressions/index.js';
import type { BoundPredicate, Expression, FilterLiteral } from '../../iceberg/expressions/index.js';
import { metricsRange } from '../../iceberg/expressions/metrics-evaluator.js';
import { rangeMightMatch } from '../../iceberg/expressions/value-range.js';
import type { ValueRange } from '../../iceberg/expressions/value-range.js';
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

interface IndexedFile {
  readonly task: ScanTask;
  /** Per key column, what the file's metrics say of it (decoded once, not per read). */
  readonly ranges: readonly ValueRange[];
}

/**
 * The data files of one snapshot of an online table, grouped by the bucket of the first join key
 * (Iceberg's bucket transform, as each file's partition records it), so a read goes straight to
 * the files of its keys' buckets and never replans. Within a bucket, a file is read for a key only
 * when the planner's metrics test (`rangeMightMatch` over the file's bounds and counts, as
 * `planScan(table, { filter: eq(key, value) })` applies it) says it may hold the key; the bounds
 * are decoded once per snapshot, which keeps a read of 100 keys over thousands of files cheap.
 */
export class FileIndex {
  private readonly byBucket = new Map<string, IndexedFile[]>();
  /** Files of specs without a bucket on the first key (e.g. an hour-only layout): every read considers them. */
  private readonly unbucketed: IndexedFile[] = [];
  private readonly bucketings: { readonly modulus: number; readonly transform: BoundTransform }[] = [];
  private readonly terms: readonly BoundPredicate[];

  constructor(
    readonly plan: ScanPlan,
    private readonly schema: Schema,
    private readonly specs: readonly PartitionSpec[],
    private readonly keys: readonly KeyColumn[],
  ) {
    // `key = value` for some value: metricsRange reads only the predicate's column (its term).
    this.terms = keys.map((key) => bind(eq(key.name, sampleLiteral(key)), schema) as BoundPredicate);
    const keyFieldId = this.terms[0]!.term.fieldId;
    const bucketFieldOf = new Map<number, { index: number; modulus: number } | null>();
    for (const spec of specs) {
      const index = spec.fields.findIndex((field) => field.sourceId === keyFieldId && /^bucket\[\d+\]$/.test(field.transform));
      if (index < 0) {
        bucketFieldOf.set(spec.specId, null);
        continue;
      }
      const transform = parseTransform(spec.fields[index]!.transform);
      const modulus = transform.parameter!;
      bucketFieldOf.set(spec.specId, { index, modulus });
      if (!this.bucketings.some((bucketing) => bucketing.modulus === modulus))
        this.bucketings.push({ modulus, transform: transform.bind(keys[0]!.type) });
    }
    for (const task of plan.tasks) {
      const file: IndexedFile = { task, ranges: this.terms.map((term) => metricsRange(term, task.dataFile)) };
      const field = bucketFieldOf.get(task.specId);
      const bucket = field ? task.dataFile.partition[field.index] : undefined;
      if (!field || bucket === undefined || bucket === null) this.unbucketed.push(file);
      else push(this.byBucket, `${field.modulus}:${String(bucket)}`, file);
    }
  }

  get dataFiles(): number {
    return this.plan.tasks.length;
  }

  /** The files that may hold any of the keys (lookup string → typed key values), each with the keys it may hold. */
  select(keys: ReadonlyMap<string, readonly PrimitiveValue[]>): FileSelection[] {
    if (this.plan.tasks.length === 0 || keys.size === 0) return [];
    const selected = new Map<ScanTask, string[]>();
    for (const [lookup, values] of keys) {
      for (const { modulus, transform } of this.bucketings) {
        for (const file of this.byBucket.get(`${modulus}:${String(transform.apply(values[0]!))}`) ?? []) {
          if (this.mayHold(file, values)) push(selected, file.task, lookup);
        }
      }
      if (this.unbucketed.length > 0) {
        const partitions = partitionEvaluator(this.keyFilter(values), this.specs);
        for (const file of this.unbucketed) {
          if (partitions(file.task.specId, file.task.dataFile.partition) && this.mayHold(file, values)) push(selected, file.task, lookup);
        }
      }
    }
    return [...selected].map(([task, lookups]) => ({ task, lookups }));
  }

  /** The metrics evaluator's test for `k1 = v1 AND k2 = v2 …`, on the ranges decoded up front. */
  private mayHold(file: IndexedFile, values: readonly PrimitiveValue[]): boolean {
    const records = file.task.dataFile.recordCount;
    if (records === 0) return false;
    if (records < 0) return true;
    return this.keys.every((key, index) => rangeMightMatch(key.type, { op: 'eq', value: values[index]! }, file.ranges[index]!));
  }

  private keyFilter(values: readonly PrimitiveValue[]) {
    const predicates: Expression[] = this.keys.map((key, index) => eq(key.name, values[index] as FilterLiteral));
    return bind(predicates.length === 1 ? predicates[0]! : and(...predicates), this.schema);
  }
}

function sampleLiteral(key: KeyColumn): FilterLiteral {
  if (key.type === 'string') return '';
  if (key.type === 'uuid') return '00000000-0000-0000-0000-000000000000';
  if (key.type === 'binary') return new Uint8Array();
  if (key.type === 'boolean') return false;
  return 0;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
