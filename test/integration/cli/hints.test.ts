// services: temporal
// The commands Floe suggests can be pasted as they are: `floe init`'s next steps, the project's
// README, the sample data generator and the `floe dev` banner all say `npx floe …` (a bare `floe`
// is "command not found" in a project that installed it locally), and init's steps, like the
// README's, apply the definitions before materializing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../../scripts/services/ports.js';
import { interrupt, runToEnd } from '../../support/child-process.js';
import { linkCheckoutAsFloe } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');

const scratch = scratchFolder('hints');
let project: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  project = path.join(scratch, 'hinted');
});

/** Lines that start a `floe` command without `npx`. */
const BARE_FLOE = /(^|\n)\s*(Next: )?floe (init|apply|dev|materialize|get-online|worker|serve|table)\b/;

describe('suggested commands', () => {
  test('floe init: next steps and the README say npx floe, with floe apply before materialize', async () => {
    const init = await runToEnd(process.execPath, [floe, 'init', project], { env: process.env });
    assert.equal(init.code, 0, init.stderr);
    assert.doesNotMatch(init.stdout, BARE_FLOE, init.stdout);
    const steps = ['npx floe apply', 'npx floe dev', 'npx floe materialize driver_hourly_stats', 'npx floe get-online'];
    const at = steps.map((step) => init.stdout.indexOf(step));
    assert.ok(
      at.every((index) => index >= 0),
      `every step is there:\n${init.stdout}`,
    );
    assert.deepEqual(
      at,
      [...at].sort((a, b) => a - b),
      'in this order',
    );

    const readme = await readFile(path.join(project, 'README.md'), 'utf8');
    for (const step of ['`npx floe apply`', '`npx floe materialize driver_hourly_stats', '`npx floe get-online'])
      assert.ok(readme.includes(step), step);
    assert.ok(readme.indexOf('npx floe apply') < readme.indexOf('npx floe materialize'), 'apply comes before materialize');
    env = await linkCheckoutAsFloe(project, process.env);
  });

  test('the sample data generator prints npx floe materialize with the window', async () => {
    const generate = await runToEnd(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), path.join(project, 'generate_data.mjs'), '--days', '1', '--drivers', '2'],
      { env },
    );
    assert.equal(generate.code, 0, generate.stderr);
    // Whole days, printed as Floe prints instants everywhere: no `.000` fraction.
    assert.match(
      generate.stdout,
      /^Next: npx floe materialize driver_hourly_stats --start \d{4}-\d\d-\d\dT00:00:00Z --end \d{4}-\d\d-\d\dT00:00:00Z$/m,
    );
    assert.match(
      generate.stdout,
      /^Wrote 48 rows of 2 drivers for \[\d{4}-\d\d-\d\dT00:00:00Z, \d{4}-\d\d-\d\dT00:00:00Z\) to rides\.driver_stats/m,
    );
  });

  test('the floe dev banner says npx floe materialize', async () => {
    const [temporalPort, uiPort] = await freePorts(2);
    const dev = spawn(process.execPath, [floe, 'dev', '--project', project, '--port', '0'], {
      env: { ...env, FLOE_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, FLOE_DEV_UI_PORT: String(uiPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    dev.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        dev.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Ctrl-C stops everything')) resolve();
        });
        dev.once('exit', (code) => reject(new Error(`floe dev exited with ${String(code)}:\n${out}\n${err}`)));
      });
    } finally {
      await interrupt(dev);
    }
    assert.match(out, /^In another terminal .*: npx floe materialize <view> --start … --end …$/m);
    assert.doesNotMatch(out, BARE_FLOE, out);
  });
});
