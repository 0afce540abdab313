// `npm run bench -- cli [--quick]`: how long `floe --help`, `floe --version` and `floe materialize
// --help` take to start and exit, against `node -e ''` (the floor any Node CLI pays) measured in the
// same run, interleaved, as medians of 15 runs each (--quick: 5). `tsx_ms` is what loading tsx
// alone costs, the part that goes once the CLI is compiled. `packaged_*` run the compiled CLI in
// dist/ (what an installed package runs; `npm ci` builds it), when it has been built.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from './_stats.js';
import type { BenchmarkOptions } from './run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const floe = path.join(root, 'bin', 'floe.js');
const packaged = path.join(root, 'dist', 'cli', 'main.js');

const COMMANDS: Readonly<Record<string, readonly string[]>> = {
  node: ['-e', ''],
  tsx: ['--input-type=module', '-e', "const { register } = await import('tsx/esm/api'); register();"],
  help: [floe, '--help'],
  version: [floe, '--version'],
  materialize_help: [floe, 'materialize', '--help'],
  ...(existsSync(packaged) ? { packaged_help: [packaged, '--help'], packaged_version: [packaged, '--version'] } : {}),
};

export async function run(options: BenchmarkOptions): Promise<Record<string, unknown>> {
  const rounds = options.quick ? 5 : 15;
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(COMMANDS).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, args] of Object.entries(COMMANDS)) times[name]!.push(timed(name, args));
  }
  const figures: Record<string, unknown> = { rounds };
  for (const [name, samples] of Object.entries(times)) figures[`${name}_ms`] = Math.round(median(samples));
  const nodeMs = median(times.node!);
  for (const name of ['help', 'version', 'materialize_help', 'packaged_help', 'packaged_version'].filter((name) => name in times)) {
    figures[`${name}_vs_node`] = Number((median(times[name]!) / nodeMs).toFixed(2));
    console.error(`floe ${name.replace('_', ' --')}: ${figures[`${name}_ms`]} ms (node -e '': ${Math.round(nodeMs)} ms)`);
  }
  figures.vs_node = Math.max(figures.help_vs_node as number, figures.version_vs_node as number);
  if ('packaged_help' in times)
    figures.packaged_vs_node = Math.max(figures.packaged_help_vs_node as number, figures.packaged_version_vs_node as number);
  return figures;
}

function timed(name: string, args: readonly string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`${name} (node ${args.join(' ')}) exited with ${String(result.status)}: ${result.stderr.toString()}`);
  return ms;
}
