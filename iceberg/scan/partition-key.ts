import type { PartitionValues } from '../spec/partition.js';

/** A string that is equal for two files exactly when their spec and partition tuple are equal. */
export function partitionKey(specId: number, values: PartitionValues): string {
  const parts = values.map((value) => {
    if (value === null) return null;
    if (value instanceof Uint8Array) return ['bytes', Buffer.from(value).toString('hex')];
    return [typeof value, String(value)];
  });
  return `${specId}:${JSON.stringify(parts)}`;
}
