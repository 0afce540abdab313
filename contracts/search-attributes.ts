// Custom search attributes Floe's workflows set (registered on the dev server by
// scripts/services/temporal.ts; on a real cluster with `temporal operator search-attribute create`).
// Written as the plain `{ name, type }` that `defineSearchAttributeKey` returns, so contracts/ needs
// only Temporal's types.
import type { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

type SearchAttributeKey<T extends SearchAttributeType> = ReturnType<typeof defineSearchAttributeKey<T>>;

/** The feature view(s) a run works on, comma-separated: filter the UI's list by it. */
export const FLOE_FEATURE_VIEW: SearchAttributeKey<'KEYWORD'> = { name: 'FloeFeatureView', type: 'KEYWORD' };
/** A backfill's progress in words, e.g. `12/30 chunks, 4800 rows, running`. */
export const FLOE_PROGRESS: SearchAttributeKey<'TEXT'> = { name: 'FloeProgress', type: 'TEXT' };
/** Set by Temporal on every run a Schedule starts: the time the run was scheduled for. */
export const SCHEDULED_START_TIME: SearchAttributeKey<'DATETIME'> = { name: 'TemporalScheduledStartTime', type: 'DATETIME' };
