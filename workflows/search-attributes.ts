// Custom search attributes Floe's workflows set (registered on the dev server by
// scripts/services/temporal.ts; on a real cluster with `temporal operator search-attribute create`).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The feature view(s) a run works on, comma-separated: filter the UI's list by it. */
export const FLOE_FEATURE_VIEW = defineSearchAttributeKey('FloeFeatureView', SearchAttributeType.KEYWORD);
/** A backfill's progress in words, e.g. `12/30 chunks, 4800 rows, running`. */
export const FLOE_PROGRESS = defineSearchAttributeKey('FloeProgress', SearchAttributeType.TEXT);
