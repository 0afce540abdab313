// Window arithmetic shared by the workflows and their clients. Pure functions only: workflow code
// imports them, so they must stay deterministic.
import type { TypedSearchAttributes } from '@temporalio/common';
import { instantMillis, isoMillis, printedInstant } from './instants.js';
import { SCHEDULED_START_TIME } from './search-attributes.js';

/** The scheduled time of a schedule-started run, or undefined for a run started otherwise. */
export function scheduledStartTime(info: { readonly typedSearchAttributes: TypedSearchAttributes }): Date | undefined {
  return info.typedSearchAttributes.get(SCHEDULED_START_TIME);
}

/**
 * The window of a run that ends at `end` and starts where the last one stopped:
 * - the watermark, when it is before `end` (a late or skipped run catches up, no gap, no overlap);
 * - otherwise `end − lookback`: there is no watermark yet (the first run), or `end` is already
 *   covered (a backfill replaying past scheduled times restates that interval).
 */
export function windowFor(options: {
  end: string;
  watermark: string | null;
  lookbackSeconds: number | undefined;
}): { start: string; end: string } | { problem: string } {
  const end = instantMillis(options.end);
  if (Number.isNaN(end)) return { problem: `window end ${JSON.stringify(options.end)} is not an ISO-8601 instant` };
  const watermark = options.watermark === null ? Number.NaN : instantMillis(options.watermark);
  if (watermark < end) return { start: new Date(watermark).toISOString(), end: new Date(end).toISOString() };
  const lookback = options.lookbackSeconds;
  if (lookback === undefined || !(lookback > 0)) {
    return {
      problem:
        options.watermark === null
          ? `no watermark yet (nothing materialized) and no lookback: give the first window's start`
          : `already materialized up to ${printedInstant(options.watermark)}, at or past the window end ${isoMillis(end)}; give a start or a lookback to restate it`,
    };
  }
  return { start: new Date(end - lookback * 1000).toISOString(), end: new Date(end).toISOString() };
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };

/**
 * A duration as people write it: `1d`, `6h`, `1h30m`, `90s`, or ISO-8601 `P1D`, `PT6H`, `P1DT12H`.
 * Returns seconds, or undefined when the text is none of those (or zero).
 */
export function parseDurationSeconds(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  const iso = /^p(?:(\d+)w)?(?:(\d+)d)?(?:t(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?)?$/.exec(trimmed);
  let seconds: number;
  if (iso && trimmed !== 'p' && trimmed !== 'pt') {
    const [weeks, days, hours, minutes, secs] = iso.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number];
    seconds = weeks * 604_800 + days * 86_400 + hours * 3_600 + minutes * 60 + secs;
  } else {
    if (!/^(\d+\s*[wdhms]\s*)+$/.test(trimmed)) return undefined;
    seconds = 0;
    for (const [, amount, unit] of trimmed.matchAll(/(\d+)\s*([wdhms])/g)) seconds += Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 0);
  }
  return seconds > 0 ? seconds : undefined;
}

export interface ChunkWindow {
  readonly start: string;
  readonly end: string;
}

/** `[start, end)` cut into consecutive chunks of `chunkSeconds`, the last one shortened to end at `end`. */
export function chunkWindows(start: string, end: string, chunkSeconds: number): ChunkWindow[] {
  const from = instantMillis(start);
  const to = instantMillis(end);
  const step = chunkSeconds * 1000;
  const chunks: ChunkWindow[] = [];
  for (let at = from; at < to; at += step)
    chunks.push({ start: new Date(at).toISOString(), end: new Date(Math.min(at + step, to)).toISOString() });
  return chunks;
}
