import type { PartitionValues } from '../spec/partition.js';

/** Keys already made, by partition tuple: a cached manifest's files are planned again and again. */
const known = new WeakMap<PartitionValues, { readonly specId: number; readonly key: string }>();

/** A string that is equal for two files exactly when their spec and partition tuple are equal. */
export function partitionKey(specId: number, values: PartitionValues): string {
  const made = known.get(values);
  if (made?.specId === specId) return made.key;
  const parts = values.map((value) => {
    if (value === null) return null;
    if (value instanceof Uint8Array) return ['bytes', Buffer.from(value).toString('hex')];
    return [typeof value, String(value)];
  });
  const key = `${specId}:${JSON.stringify(parts)}`;
  known.set(values, { specId, key });
  return key;
}
