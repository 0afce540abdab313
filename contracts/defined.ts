/**
 * Optional fields, set only when they have a value. Floe compiles with exactOptionalPropertyTypes:
 * an optional property is either absent or holds a value, never `undefined`, so a merge such as
 * `{ ...SERVER_TIMEOUTS, ...options.timeouts }` cannot wipe a default with an explicit undefined.
 * `defined` builds such objects from values that may be undefined:
 *
 *   scanTable(table, { ...defined({ snapshotId: request.snapshotId, signal: context.signal }) })
 *
 * It is the one way to pass an optional value on as it is, several of them in one call. Only a field
 * computed from one keeps the spread, `...(tls === undefined ? {} : { tls: await readTls(tls) })`, so
 * nothing is computed from an absent value, as does one set on another's condition and one under a
 * symbol key (which Object.keys does not list). It lives in
 * contracts/ so that workflows, which import nothing else of Floe, use it too.
 */

/** The fields of `fields` whose value is not undefined (the others are left out, not set to undefined). */
export function defined<T extends object>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const present: Partial<Record<keyof T, unknown>> = {};
  for (const key of Object.keys(fields) as (keyof T)[]) if (fields[key] !== undefined) present[key] = fields[key];
  return present as { [K in keyof T]?: Exclude<T[K], undefined> };
}
