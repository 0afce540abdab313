/**
 * The kinds of FloeError (core/errors.ts takes its kind type from here), and the ones the
 * workflows' retry policies never retry. An activity turns a FloeError into a Temporal failure of
 * type `FloeError:<kind>` (activities/activity-support.ts). The order is that of
 * NON_RETRYABLE_FLOE_ERRORS, which recorded workflow histories hold in their retry policies.
 */
export const FLOE_ERROR_KINDS = [
  /** The caller asked for something impossible: a bad argument, schema or definition. */
  'invalid-input',
  /** A table, namespace, snapshot, file or column that does not exist. */
  'not-found',
  'already-exists',
  /** Optimistic concurrency: someone else committed first. Reload and replay. */
  'commit-conflict',
  /** The commit may or may not have landed (a timeout after sending it). Check before retrying. */
  'commit-state-unknown',
  /** Valid by the spec but not implemented by Floe. */
  'unsupported',
  /** Bytes that do not parse as what they claim to be: metadata JSON, Avro, Parquet. */
  'corrupt',
  /** Storage or network trouble that may pass. */
  'io',
  /** A catalog server's error that is not one of the above (5xx, auth, unexpected replies). */
  'catalog',
  /** A bug in Floe. */
  'internal',
] as const;

export type FloeErrorKind = (typeof FLOE_ERROR_KINDS)[number];

/** The type of the Temporal failure an activity raises for a FloeError of this kind. */
export function floeFailureType(kind: FloeErrorKind): `FloeError:${FloeErrorKind}` {
  return `FloeError:${kind}`;
}

/**
 * How each kind is retried, the one table for both a FloeError's default (core/errors.ts) and the
 * workflows' retry policies:
 * - `retryable`: a later attempt may get past it (conflicts and unknown commit outcomes reload and
 *   replay; storage trouble passes), so an error of the kind is retryable unless it says otherwise;
 * - `when-marked`: retried only when the error says it is (`retryable: true`), as the REST catalog
 *   marks its 5xx and 429 but not its 401 (the training-set workflow, whose output must be its own,
 *   adds `already-exists` to its non-retryable list);
 * - `never`: nothing a retry can fix (bad input, a missing table, corrupt metadata, a bug).
 */
export const KIND_RETRY: { readonly [Kind in FloeErrorKind]: 'retryable' | 'when-marked' | 'never' } = {
  'invalid-input': 'never',
  'not-found': 'never',
  'already-exists': 'when-marked',
  'commit-conflict': 'retryable',
  'commit-state-unknown': 'retryable',
  unsupported: 'never',
  corrupt: 'never',
  io: 'retryable',
  catalog: 'when-marked',
  internal: 'never',
};

/**
 * Activity failures that retrying cannot fix: the `never` kinds. The activities already mark these
 * non-retryable; the retry policies say so too, so a failure raised outside that mapping is not
 * retried either.
 */
export const NON_RETRYABLE_FLOE_ERRORS: readonly string[] = FLOE_ERROR_KINDS.filter((kind) => KIND_RETRY[kind] === 'never').map(
  floeFailureType,
);
