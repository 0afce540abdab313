/**
 * The interop tests' pyiceberg: test/oracles/pyiceberg_tool.py's commands plus those
 * pyiceberg_interop.py adds (schema and spec evolution, tags, time travel by ref or timestamp,
 * counts). Several steps go to one Python process: each start costs ~1.5 s of imports.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OracleCatalog } from '../../../support/pyiceberg.js';
import { pythonOracle } from '../../../support/services.js';

const TOOL = join(dirname(fileURLToPath(import.meta.url)), '..', 'pyiceberg_interop.py');

export type PyStep = { command: string; catalog: OracleCatalog } & Record<string, unknown>;

export interface PyRows {
  rows: Record<string, unknown>[];
  columns: string[];
  snapshot_id?: string;
}

export interface PySnapshots {
  snapshots: { snapshot_id: string; parent_snapshot_id: string | null; sequence_number: number; timestamp_ms: number; schema_id: number | null; summary: Record<string, string> }[];
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
  const { python } = pythonOracle();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(python, [TOOL], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', reject);
    child.once('close', (exitCode) => resolvePromise({ code: exitCode, stdout: out, stderr: err }));
    child.stdin.end(request);
  });
  if (code !== 0) throw new Error(`pyiceberg (${what}) failed (exit ${String(code)}):\n${stderr.slice(-6000)}`);
  try {
    return JSON.parse(stdout) as unknown;
  } catch (error) {
    throw new Error(`pyiceberg (${what}) printed something that is not JSON:\n${stdout.slice(0, 2000)}\nstderr:\n${stderr.slice(-2000)}`, { cause: error });
  }
}
