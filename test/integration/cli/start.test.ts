// services: temporal
// The `floe` command starts at once: --help and --version load no command's implementation (no
// DuckDB, AWS SDK, Temporal, Fastify or zod), --version prints package.json's version, and a
// command that needs an unreachable Temporal fails within seconds naming the address it tried and
// the settings that change it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../scripts/services/ports.js';
import { floeCommand, linkCheckoutAsFloe } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
const HEAVY = /\/node_modules\/(@duckdb|@aws-sdk|@temporalio|fastify|zod|apache-arrow|pg|better-sqlite3)\//;

/**
 * A module resolve hook that reports every module the process loads on stderr. The hooks run on
 * their own thread: a synchronous write, so that a process which exits at once (`--help`) loses none.
 */
const RECORD_IMPORTS = `data:text/javascript,${encodeURIComponent(
  'import { writeSync } from "node:fs"; export async function resolve(specifier, context, next) { const result = await next(specifier, context); writeSync(2, "LOADED " + result.url + "\\n"); return result; }',
)}`;
const REGISTER_HOOK = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(RECORD_IMPORTS)});`)}`;

const scratch = scratchFolder('start');

function loadedBy(args: readonly string[]): Promise<{ code: number | null; stdout: string; modules: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', REGISTER_HOOK, floe, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, modules: [...stderr.matchAll(/^LOADED (.*)$/gm)].map((match) => match[1]!) }));
  });
}

describe('floe start-up', () => {
  test('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await floeCommand([flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), version);
    }
  });

  test("--help, --version and a command's --help load no command implementation", async () => {
    for (const args of [['--help'], ['--version'], ['materialize', '--help'], ['dev', '--help']]) {
      const run = await loadedBy(args);
      assert.equal(run.code, 0, args.join(' '));
      assert.ok(
        run.modules.some((url) => url.endsWith('/cli/program.ts')),
        `the hook saw the program load: ${run.modules.join(', ')}`,
      );
      assert.deepEqual(
        run.modules.filter((url) => HEAVY.test(url)),
        [],
        `floe ${args.join(' ')} loaded these`,
      );
    }
    const help = await loadedBy(['--help']);
    assert.match(help.stdout, /-V, --version/);
    assert.match(help.stdout, /materialize \[options\] \[feature-view\]/);
  });

  test('an unreachable Temporal: exit 1 within seconds, naming the address and the settings', async () => {
    const project = path.join(scratch, 'unreachable');
    const init = await floeCommand(['init', project, '--json']);
    assert.equal(init.code, 0, init.stderr);
    const env = await linkCheckoutAsFloe(project);
    // A port nothing listens on: asked of the OS, then released.
    const address = `127.0.0.1:${await freePort()}`;
    const started = performance.now();
    const run = await floeCommand(
      ['materialize', 'driver_hourly_stats', '--start', '2024-05-01T00:00:00Z', '--end', '2024-05-02T00:00:00Z', '--project', project],
      {
        env: { ...env, FLOE_TEMPORAL_ADDRESS: address },
      },
    );
    const seconds = (performance.now() - started) / 1000;
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `^floe: Cannot reach the Temporal server at ${address.replace(/\./g, '\\.')} within 2 s: is it running\\? The address is temporal\\.address in floe\\.yaml \\(the init template reads it from FLOE_TEMPORAL_ADDRESS\\)`,
      ),
    );
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    // Catches a hang (the client retrying a connection for ever), not a slow start: the connect deadline
    // is 2 s, but the CLI's start-up on a machine running the whole suite took 10.3 s once.
    assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
  });
});
