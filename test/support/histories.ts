/**
 * Recording workflow histories for the replay suite (test/replay/histories). With
 * FLOE_RECORD_HISTORIES=1 a test that ran a workflow saves its history there, downloaded with the
 * Temporal CLI (`temporal workflow show --output json`), the format Temporal's replayer reads.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { temporalService } from './services.js';

export const HISTORIES_DIRECTORY = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'replay', 'histories');

export async function recordHistory(workflowId: string, name: string): Promise<void> {
  if (!process.env.FLOE_RECORD_HISTORIES) return;
  const { cli, address, namespace } = temporalService();
  const { stdout } = await promisify(execFile)(
    cli,
    ['workflow', 'show', '--workflow-id', workflowId, '--address', address, '--namespace', namespace, '--output', 'json'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  await writeFile(path.join(HISTORIES_DIRECTORY, `${name}.json`), stdout);
}

/** Every recorded history, as Worker.runReplayHistories takes them. */
export async function loadRecordedHistories() {
  const files = (await readdir(HISTORIES_DIRECTORY)).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const history = historyFromJSON(JSON.parse(await readFile(path.join(HISTORIES_DIRECTORY, file), 'utf8')));
      // The recorded run's own id: workflows derive ids from it (a backfill's children), so a replay under another id diverges.
      const workflowId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId || path.basename(file, '.json');
      return { file, workflowId, history };
    }),
  );
}

/** A local activity's last attempt, as its marker records it. */
export interface LocalActivityRun {
  readonly activityType: string;
  readonly attempt: number;
  /** The last attempt's run time (for a local activity that ran within one workflow task). */
  readonly ms: number;
}

interface HistoryEvent {
  eventId?: unknown;
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  markerRecordedEventAttributes?: {
    markerName?: string | null;
    workflowTaskCompletedEventId?: unknown;
    details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
  } | null;
}

interface LocalActivityMarkerData {
  activity_type: string;
  attempt: number;
  /** The workflow's time when the local activity was scheduled (its workflow task's start) plus the last attempt's run time. */
  complete_time: { seconds: number; nanos: number };
}

/** A history event's time (or a marker's timestamp) in ms since the epoch. */
export function eventMillis(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;
}

/** The local activities of a history, in order, from the markers the Temporal core records for them. */
export function localActivityRuns(history: { events?: HistoryEvent[] | null }): LocalActivityRun[] {
  const events = history.events ?? [];
  const timeOf = new Map(events.map((event) => [String(event.eventId), eventMillis(event.eventTime)]));
  return events.flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.details?.data?.payloads?.[0]?.data;
    if (marker?.markerName !== 'core_local_activity' || !data) return [];
    const recorded = JSON.parse(Buffer.from(data).toString('utf8')) as LocalActivityMarkerData;
    // The workflow task's start precedes its completion, which the marker names.
    const taskStarted = timeOf.get(String(Number(marker.workflowTaskCompletedEventId) - 1)) ?? eventMillis(recorded.complete_time);
    return [{ activityType: recorded.activity_type, attempt: recorded.attempt, ms: eventMillis(recorded.complete_time) - taskStarted }];
  });
}
