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
