// services: temporal, python
// A view whose online table does not exist, or has never been materialized, answers "not found"
// for every key. That must not pass silently: `floe get-online` prints its answer, warns per view and
// exits 1; `floe serve` warns per view when it starts.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { floeCommand, writeCliProject } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const VIEW = 'driver_hourly_stats';
const directory = scratchFolder('missing-online');

before(async () => {
  const source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'missing_online', source, view: VIEW });
});

const getOnline = () => floeCommand(['get-online', `${VIEW}:conv_rate`, '--entity', 'driver_id=1001', '--project', directory]);

/** The lines `floe serve` writes to stderr until it listens, then stops it. */
async function serveWarnings(): Promise<string> {
  const server = spawn(process.execPath, [path.join(root, 'bin', 'floe.js'), 'serve', '--project', directory, '--port', '0', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      server.stderr.on('data', () => {
        if (stderr.includes('warning')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`floe serve exited with ${code}:\n${stderr}`)));
    });
  } finally {
    server.kill('SIGINT');
    await new Promise((resolve) => server.once('exit', resolve));
  }
  return stderr;
}

describe('online reads of a view with no online data', () => {
  test('before floe apply: the online table does not exist', async () => {
    const read = await getOnline();
    assert.equal(read.code, 1, read.stderr);
    assert.match(read.stdout, /1001\s+\(not found\)/, 'the answer is still printed');
    assert.match(
      read.stderr,
      new RegExp(
        `^floe: warning: feature view ${VIEW}: its online table floe_online\\.${VIEW} does not exist, so every key reads as not found; run \`npx floe apply\``,
        'm',
      ),
    );
    assert.match(await serveWarnings(), new RegExp(`floe serve: warning: feature view ${VIEW}: its online table .* does not exist`));
  });

  test('after floe apply, before any materialization: the online table is empty', async () => {
    const applied = await floeCommand(['apply', '--project', directory]);
    assert.equal(applied.code, 0, applied.stderr);
    const read = await getOnline();
    assert.equal(read.code, 1, read.stderr);
    assert.match(
      read.stderr,
      new RegExp(
        `^floe: warning: feature view ${VIEW}: its online table floe_online\\.${VIEW} has never been materialized \\(it has no snapshot\\), so every key reads as not found; run \`npx floe materialize ${VIEW} --start … --end …\``,
        'm',
      ),
    );
    const json = await floeCommand(['get-online', `${VIEW}:conv_rate`, '--entity', 'driver_id=1001', '--project', directory, '--json']);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).features[0].statuses[0], 'NOT_FOUND', '--json still prints the response on stdout');
    assert.match(await serveWarnings(), new RegExp(`floe serve: warning: feature view ${VIEW}: .* has never been materialized`));
  });
});
