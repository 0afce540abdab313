// What the compact workflow takes, answers to its `progress` query and returns.
import type { CompactionSummary, RewriteResult } from './compaction-summary.js';

/** What to compact: a feature view's online table, or a table by name (`namespace.table`). */
export type CompactTarget = { readonly featureView: string } | { readonly table: string };

export interface CompactOptions {
  /** Rewrite a partition with more than this many data files (a source table's: small ones), or any delete file. Default 8. */
  readonly minFiles?: number;
  /** Snapshots and unreferenced files younger than this stay. Default 3 days. */
  readonly retentionSeconds?: number;
  /** Keep at least this many snapshots; default the table's `history.expire.min-snapshots-to-keep`. */
  readonly retainLast?: number;
  /** Skip expiry and orphan removal. */
  readonly skipCleanup?: boolean;
}

/** The library call's summary, as the workflow's result. */
export type CompactResult = CompactionSummary;

export interface CompactProgress {
  readonly phase: 'planning' | 'rewriting' | 'expiring' | 'removing-orphans' | 'done';
  readonly table: string | null;
  readonly groupsPlanned: number;
  readonly rewrite: RewriteResult | null;
}
