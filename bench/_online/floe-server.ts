/**
 * `floe serve` in a process of its own (so its memory is its own) over a generated project whose
 * definitions are the benchmark's (bench/_online/definitions.ts) and whose catalog is the
 * benchmark's: what a user's server would run, started the way a user starts it.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import { peakRssMb, stopProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

/** Which of definitions.ts's functions the project exports, with its arguments. */
export type ServedDefinitions =
  | { readonly kind: 'plain'; readonly table: string; readonly buckets: number }
  | { readonly kind: 'aggregated'; readonly sourceTable: string; readonly table: string; readonly buckets: number };

export async function startFloeServer(options: {
  directory: string;
  catalog: CatalogConfig;
  definitions: ServedDefinitions;
  /** Serve with `server.auth`: one static token that reads everything, sent by the load as a bearer token. */
  auth?: boolean;
}): Promise<ServerProcess> {
  const { directory, definitions } = options;
  await mkdir(directory, { recursive: true });
  const call =
    definitions.kind === 'plain'
      ? `plainDefinitions(${JSON.stringify(definitions.table)}, ${definitions.buckets})`
      : `aggregatedDefinitions(${JSON.stringify(definitions.sourceTable)}, ${JSON.stringify(definitions.table)}, ${definitions.buckets})`;
  await writeFile(path.join(directory, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(directory, 'features.ts'),
    `import { ${definitions.kind}Definitions } from ${JSON.stringify(path.join(here, 'definitions.ts'))};\nexport const definitions = ${call};\n`,
  );
  const token = options.auth === true ? randomBytes(32).toString('hex') : undefined;
  const auth =
    token === undefined
      ? ''
      : `server: ${JSON.stringify({ auth: { tokens: [{ name: 'bench', sha256: createHash('sha256').update(token).digest('hex'), read: true }] } })}\n`;
  // JSON is YAML: the catalog section exactly as the benchmark opened it.
  await writeFile(
    path.join(directory, 'floe.yaml'),
    `project: bench_online\ncatalog: ${JSON.stringify(options.catalog)}\nworkDirectory: work\n${auth}`,
  );
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'bin', 'floe.js'), 'serve', '--project', directory, '--port', '0', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await listening(child);
  const startMs = performance.now() - started;
  return {
    url,
    ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } }),
    startMs,
    peakRssMb: () => peakRssMb(child.pid!),
    stop: () => stopProcess(child),
  };
}

/** Resolves once the server's row store has stored every large file of the snapshots it read (its /metrics gauge at 0). */
export async function rowStoreIdle(url: string, withinMs = 3_600_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (/^floe_online_row_store_pending_files 0$/m.test(metrics)) return;
    if (Date.now() > deadline)
      throw new Error(
        `${url}'s row store still had files to store after ${withinMs / 1000} s: ${/^floe_online_row_store_pending_files .*$/m.exec(metrics)?.[0] ?? 'no pending-files gauge'}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The URL `floe serve --json` prints once it listens. */
export function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^\{[\s\S]*?^\}/m.exec(stdout);
      if (ready) resolve((JSON.parse(ready[0]) as { url: string }).url);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`floe serve exited with ${String(code)} before listening:\n${stderr}`)));
  });
}
