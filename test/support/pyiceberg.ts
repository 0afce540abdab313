/**
 * Asks test/oracles/pyiceberg_tool.py in the oracle venv (a server kept running, see
 * python-tools.ts): one JSON request, one JSON reply. pyiceberg is an independent implementation,
 * so a Floe result that agrees with it is evidence, not a tautology. 64-bit integers come back as
 * strings (see the tool's docstring).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { askPythonTool } from './python-tools.js';

const TOOL = join(dirname(fileURLToPath(import.meta.url)), '..', 'oracles', 'pyiceberg_tool.py');

export type OracleCatalog =
  | { type: 'sql'; uri: string; warehouse: string }
  | {
      type: 'rest';
      uri: string;
      warehouse?: string;
      s3: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
    };

export type PyicebergCommand = 'create_table' | 'append' | 'delete' | 'add_column' | 'rename_column' | 'read' | 'inspect' | 'load_metadata';

/** A SQL catalog (pyiceberg SqlCatalog on SQLite) in a folder: `<dir>/catalog.db`, warehouse `<dir>/warehouse`. */
export function sqliteCatalog(dir: string): OracleCatalog {
  return { type: 'sql', uri: `sqlite:///${join(dir, 'catalog.db')}`, warehouse: `file://${join(dir, 'warehouse')}` };
}

/** Replies: every command returns an object; see pyiceberg_tool.py for each one's fields. */
export interface TableStateReply {
  metadata_location: string;
  snapshot_id: string | null;
}
export interface RowsReply {
  rows: Record<string, unknown>[];
  columns?: string[];
}
export interface MetadataReply {
  metadata_location: string;
  metadata_json: string;
  metadata: Record<string, unknown>;
}

export interface PyicebergStep {
  command: PyicebergCommand;
  args: { catalog: OracleCatalog } & Record<string, unknown>;
}

/** One command. */
export async function runPyiceberg<T = Record<string, unknown>>(command: PyicebergCommand, args: PyicebergStep['args']): Promise<T> {
  return (await runTool(JSON.stringify({ command, ...args }), command)) as T;
}

/** Several commands in one request, in order. */
export async function runPyicebergBatch(steps: readonly PyicebergStep[]): Promise<unknown[]> {
  const reply = (await runTool(
    JSON.stringify({ batch: steps.map((step) => ({ command: step.command, ...step.args })) }),
    `batch of ${steps.map((step) => step.command).join(', ')}`,
  )) as { results: unknown[] };
  return reply.results;
}

async function runTool(request: string, what: string): Promise<unknown> {
  const answer = await askPythonTool(TOOL, request);
  if ('error' in answer) throw new Error(`pyiceberg oracle (${what}) failed.\nrequest: ${redact(request)}\n${answer.error}`);
  return answer.reply;
}

function redact(request: string): string {
  return request.replace(/"secretAccessKey":"[^"]*"/g, '"secretAccessKey":"***"').replace(/("uri":"[^":]+:\/\/[^:@"]*:)[^"]*@/g, '$1***@');
}
