/**
 * The interop tests' pyiceberg: test/oracles/pyiceberg_tool.py's commands plus those
 * pyiceberg_interop.py adds (schema and spec evolution, tags, time travel by ref or timestamp,
 * counts), asked through a server kept running (see test/support/python-tools.ts).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OracleCatalog } from '../pyiceberg.js';
import { askPythonTool } from '../python-tools.js';

const TOOL = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'integration', 'interop', 'pyiceberg_interop.py');

export type PyStep = { command: string; catalog: OracleCatalog } & Record<string, unknown>;

export interface PyRows {
  rows: Record<string, unknown>[];
  columns: string[];
  snapshot_id?: string;
}

export interface PySnapshots {
  snapshots: {
    snapshot_id: string;
    parent_snapshot_id: string | null;
    sequence_number: number;
    timestamp_ms: number;
    schema_id: number | null;
    summary: Record<string, string>;
  }[];
  refs: Record<string, { snapshot_id: string; type: string }>;
  snapshot_log: { snapshot_id: string; timestamp_ms: number }[];
}

export async function py<T = Record<string, unknown>>(step: PyStep): Promise<T> {
  return (await run(JSON.stringify(step), String(step.command))) as T;
}

export async function pyBatch(steps: readonly PyStep[]): Promise<unknown[]> {
  const reply = (await run(JSON.stringify({ batch: steps }), `batch of ${steps.length}`)) as { results: unknown[] };
  return reply.results;
}

async function run(request: string, what: string): Promise<unknown> {
  const answer = await askPythonTool(TOOL, request);
  if ('error' in answer) throw new Error(`pyiceberg (${what}) failed:\n${answer.error.slice(-6000)}`);
  return answer.reply;
}
