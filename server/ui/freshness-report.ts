import { isoMillis } from '../../contracts/instants.js';
import { durationSeconds } from '../../features/definitions.js';
import type { FeatureViewDefinition } from '../../features/definitions.js';
import type { ViewFreshness } from '../../features/online/index.js';
import { compare, scheduleLabel } from './catalog.js';

/**
 * `fresh`: the watermark is within its cadence's bound; `stale`: it is not, or a scheduled view was
 * never materialized; `unscheduled`: no schedule says how fresh it should be; `offline`: it has no
 * online table; `unknown`: its online table could not be read now.
 */
export type FreshnessStatus = 'fresh' | 'stale' | 'unscheduled' | 'offline' | 'unknown';

export interface ViewFreshnessRow {
  readonly featureView: string;
  readonly status: FreshnessStatus;
  readonly schedule: string | null;
  /** How often the view is expected to advance: its schedule's `every`, or a cron schedule's `initialWindow`. */
  readonly cadenceSeconds: number | null;
  readonly delaySeconds: number;
  /** Past this age the view is stale: two cadences plus the delay (one scheduled run missed). */
  readonly staleAfterSeconds: number | null;
  /** UTC ISO instants; null before the first materialization or commit. */
  readonly watermark: string | null;
  readonly lastCommit: string | null;
  /** now − watermark, in whole seconds; null without a watermark. */
  readonly ageSeconds: number | null;
}

export interface FreshnessReport {
  /** The instant the ages are measured at (UTC ISO). */
  readonly now: string;
  /** Stale views first, then by name. */
  readonly views: readonly ViewFreshnessRow[];
}

/**
 * Each view's freshness against its schedule, from the online tables' watermarks and last commits
 * (OnlineStore.freshness, the numbers behind `/metrics`' freshness gauges), measured at `nowMs`.
 * A view scheduled every E with delay D is committed up to (scheduled time − D) by each run, so a
 * healthy view is at most E + D old plus the run's own time; past 2E + D a run is missing.
 */
export function freshnessReport(
  views: readonly FeatureViewDefinition[],
  freshness: readonly ViewFreshness[],
  nowMs: number,
): FreshnessReport {
  const byView = new Map(freshness.map((entry) => [entry.featureView, entry]));
  const rows = views.map((view) => freshnessRow(view, view.online.enabled ? (byView.get(view.name) ?? null) : null, nowMs));
  const rank = (row: ViewFreshnessRow): number => (row.status === 'stale' ? 0 : 1);
  rows.sort((a, b) => rank(a) - rank(b) || compare(a.featureView, b.featureView));
  return { now: isoMillis(nowMs), views: rows };
}

function freshnessRow(view: FeatureViewDefinition, freshness: ViewFreshness | null, nowMs: number): ViewFreshnessRow {
  const cadenceSeconds = cadenceOf(view);
  const delaySeconds = durationSeconds(view.delay) ?? 0;
  const staleAfterSeconds = cadenceSeconds === null ? null : 2 * cadenceSeconds + delaySeconds;
  const watermarkMs = freshness?.watermarkMs ?? null;
  const ageSeconds = watermarkMs === null ? null : Math.max(0, Math.floor((nowMs - watermarkMs) / 1000));
  const status = ((): FreshnessStatus => {
    if (!view.online.enabled) return 'offline';
    if (freshness === null) return 'unknown';
    if (staleAfterSeconds === null) return 'unscheduled';
    return ageSeconds === null || ageSeconds > staleAfterSeconds ? 'stale' : 'fresh';
  })();
  return {
    featureView: view.name,
    status,
    schedule: scheduleLabel(view),
    cadenceSeconds,
    delaySeconds,
    staleAfterSeconds,
    watermark: watermarkMs === null ? null : isoMillis(watermarkMs),
    lastCommit: freshness?.lastCommitMs == null ? null : isoMillis(freshness.lastCommitMs),
    ageSeconds,
  };
}

function cadenceOf(view: FeatureViewDefinition): number | null {
  const schedule = view.schedule;
  if (schedule === undefined) return null;
  return durationSeconds(schedule.cron === undefined ? schedule.every : schedule.initialWindow);
}
