// The documented point-in-time join, brute force, one entity row at a time: per entity row and
// view, the latest row at or before the entity's time, ties to the greatest created time (then to
// the greatest feature values, as Floe documents), NULL past the TTL or for a missing entity.

export type Value = number | string | null;

function descNullsLast(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a > b ? -1 : 1;
}

/** The documented join for one view, one entity row at a time. */
export function reference<E extends { readonly t: number }, R extends { t: number | null; created?: number | null }>(
  entities: readonly E[],
  rows: readonly R[],
  options: { key: (row: R) => Value; entityKey: (entity: E) => Value; ttl: number; features: readonly ((row: R) => Value)[] },
): Value[][] {
  return entities.map((entity) => {
    const none = options.features.map(() => null);
    const key = options.entityKey(entity);
    if (key === null) return none;
    const candidates = rows
      .filter((row) => options.key(row) === key && row.t !== null && row.t <= entity.t)
      .sort(
        (a, b) =>
          descNullsLast(a.t, b.t) ||
          descNullsLast(a.created ?? null, b.created ?? null) ||
          options.features.reduce((order, feature) => order || descNullsLast(feature(a), feature(b)), 0),
      );
    const best = candidates[0];
    if (!best) return none;
    if (options.ttl > 0 && best.t! < entity.t - options.ttl) return none;
    return options.features.map((feature) => feature(best));
  });
}
