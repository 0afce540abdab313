import { scanTable } from '../../engine/read/table-reader.js';
import type { TableScan, TableScanOptions } from '../../engine/read/table-reader.js';
import type { LatePlan } from '../../contracts/materialize.js';
import { isoMillis } from '../../contracts/instants.js';
import { planScan } from '../../iceberg/scan/planner.js';
import type { TableMetadata } from '../../iceberg/spec/metadata.js';
import type { FeatureViewDefinition } from '../definitions.js';
import { durationSeconds } from '../definitions.js';
import { sourceCursorOf, watermarkOf } from '../online-table/table-state.js';
import { classifySourceChanges, earliestEventMicros, earliestTouchedMicros, oldestAncestor } from '../source-changes.js';
import { eventTimeFilter, filterOption, micros } from './source-rows.js';
import type { ResolvedSource, Window } from './source-rows.js';

/**
 * The late-row part of an incremental run: the appends since the view's cursor when that is all
 * that happened to the source, else the event-time range to restate (the window's start moves back
 * to it).
 */
export async function planLateRows(
  view: FeatureViewDefinition,
  source: ResolvedSource,
  online: TableMetadata,
  headSnapshotId: bigint | null,
  window: Window,
): Promise<{ window: Window; late: LatePlan }> {
  const recorded = sourceCursorOf(online);
  if (recorded.kind === 'none') return { window, late: { sinceSnapshotId: null, files: 0, rows: 0 } };
  const metadata = source.table.metadata;
  const cursor = recorded.kind === 'cursor' ? recorded.snapshotId : oldestAncestor(metadata, headSnapshotId, recorded.snapshotIds);
  const cursorText = recorded.kind === 'cursor' ? recorded.snapshotId : (cursor ?? recorded.snapshotIds[recorded.snapshotIds.length - 1]!);
  const since = cursorText === null ? null : cursorText.toString();
  const lost = recorded.kind === 'windows' && cursor === null;
  const changes = lost ? ({ kind: 'cursor-lost' } as const) : classifySourceChanges(metadata, headSnapshotId, cursor);
  if (changes.kind === 'unchanged' || headSnapshotId === null) return { window, late: { sinceSnapshotId: since, files: 0, rows: 0 } };
  if (changes.kind === 'appends') {
    const plan = await planScan(source.table, {
      columns: source.columns,
      snapshotId: headSnapshotId,
      appendedAfter: { snapshotId: cursor },
      ...filterOption(eventTimeFilter(source, { end: window.start })),
    });
    return { window, late: { sinceSnapshotId: since, files: plan.summary.dataFiles, rows: plan.summary.dataRecords } };
  }
  const end = isoMillis(window.end.getTime());
  let restateFrom: bigint | null;
  let why: string;
  if (changes.kind === 'rewritten') {
    restateFrom = source.eventTime === undefined ? null : await earliestTouchedMicros(source.table, changes.snapshots, source.eventTime);
    why = `source snapshot ${changes.first.snapshotId} is ${article(changes.first.summary.operation)} ${changes.first.summary.operation}, not an append`;
    if (restateFrom === null) why += ' and the event times it touched are unknown';
  } else {
    const watermark = watermarkOf(online);
    const lateness = durationSeconds(view.lateness);
    restateFrom = watermark !== null && lateness !== null ? BigInt(watermark - lateness * 1000) * 1000n : null;
    why = `the view's source cursor ${since ?? '(before the first snapshot)'} is no longer in the source's history (expired or rolled back)`;
    why +=
      lateness === null
        ? ' and the view sets no lateness'
        : watermark === null
          ? ' and there is no watermark yet'
          : ", so the view's lateness applies";
  }
  if (restateFrom === null) {
    restateFrom =
      (source.eventTime === undefined ? null : await earliestEventMicros(source.table, headSnapshotId, source.eventTime)) ??
      micros(EARLIEST_EVENT_TIME);
  }
  const start = new Date(Math.min(window.start.getTime(), Number(restateFrom / 1000n)));
  return {
    window: { start, end: window.end },
    late: { sinceSnapshotId: since, files: 0, rows: 0, fallback: `${why}: restating [${isoMillis(start.getTime())}, ${end})` },
  };
}

/** Where a restatement whose range cannot be known starts: before any event time a source holds. */
const EARLIEST_EVENT_TIME = new Date('0001-01-01T00:00:00.000Z');

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/**
 * With `late` (an incremental run that found appended files with rows before the window), the
 * rows before the window's start of the data files added to the source since the view's cursor.
 */
export async function scanLateAppends(
  source: ResolvedSource,
  read: TableScanOptions,
  late: LatePlan | undefined,
  window: Window,
): Promise<TableScan | undefined> {
  if (late === undefined || late.fallback !== undefined || late.files <= 0) return undefined;
  return scanTable(source.table, {
    ...read,
    appendedAfter: { snapshotId: late.sinceSnapshotId === null ? null : BigInt(late.sinceSnapshotId) },
    ...filterOption(eventTimeFilter(source, { end: window.start })),
  });
}
