// `npm run bench -- NAME [--quick]`: runs bench/NAME.ts. Each benchmark measures Floe and a peer in
// the same run, prints what it does as it goes, and ends with ONE line: a JSON object with its
// figures, ratios `vs_<peer>` = Floe's time / the peer's (below 1: Floe is faster), and the
// machine's core count; with `failures` (wrong answers found) it exits 1 after that line. Absolute
// times on a shared machine are noise; the ratios are the result.
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServiceName } from '../scripts/services/service.js';
import { startServices } from '../scripts/services/stack.js';

export interface BenchmarkOptions {
  /** A smaller data set that finishes in under a minute. */
  readonly quick: boolean;
  readonly args: readonly string[];
}

/**
 * What a bench/NAME.ts exports as `run`, and as `services` the services it needs (a list, or a
 * function of the options when they depend on the scale): the runner starts
 * them (installing what is missing, as `npm test` does) and hands their addresses to the benchmark
 * and its child processes through the environment.
 */
export type Benchmark = (options: BenchmarkOptions) => Promise<Record<string, unknown>>;

const here = path.dirname(fileURLToPath(import.meta.url));
const [name, ...rest] = process.argv.slice(2);
const available = (await readdir(here))
  .filter((file) => file.endsWith('.ts') && !['run.ts'].includes(file) && !file.startsWith('_'))
  .map((file) => file.slice(0, -3));

if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [--quick]\nbenchmarks: ${available.sort().join(', ') || '(none yet)'}`);
  process.exit(2);
}

const module = (await import(pathToFileURL(path.join(here, `${name}.ts`)).href)) as {
  run: Benchmark;
  services?: readonly ServiceName[] | ((options: BenchmarkOptions) => readonly ServiceName[]);
};
const options: BenchmarkOptions = { quick: rest.includes('--quick'), args: rest.filter((arg) => arg !== '--quick') };
const wanted = typeof module.services === 'function' ? module.services(options) : (module.services ?? []);
const stack = wanted.length > 0 ? await startServices(wanted, { persist: false }) : undefined;
let figures: Record<string, unknown>;
try {
  if (stack) Object.assign(process.env, stack.env);
  figures = await module.run(options);
} finally {
  await stack?.stop();
}
console.log(JSON.stringify({ benchmark: name, quick: rest.includes('--quick'), cores: os.availableParallelism(), ...figures }));
// A benchmark that found a wrong answer says so in `failures`, after its figures are on record.
const failures = Array.isArray(figures.failures) ? (figures.failures as unknown[]) : [];
for (const failure of failures) console.error(`${name}: ${String(failure)}`);
if (failures.length > 0) process.exitCode = 1;
