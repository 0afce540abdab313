/** Whether `value` is an object with named fields (parsed JSON's `{…}`): not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
