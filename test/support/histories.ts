/**
 * Recording workflow histories for the replay suite (test/replay/histories). With
 * FLOE_RECORD_HISTORIES=1 a test that ran a workflow saves its history there, downloaded with the
 * Temporal CLI (`temporal workflow show --output json`), the format Temporal's replayer reads.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
