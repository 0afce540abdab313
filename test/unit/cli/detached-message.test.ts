// What Ctrl-C in `floe materialize`, `backfill` and `training-set` prints: the workflow goes on, the
// command line that follows it again, the Temporal CLI command that cancels it, and its Web UI page
// when a `floe dev` of the project serves one.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { detachedMessage, workflowWhereabouts } from '../../../cli/follow.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const LOCAL = { address: '127.0.0.1:7233', namespace: 'default', tls: false, apiKey: false };

test('one workflow: its id, the command again, and the cancel command for its server', () => {
  assert.equal(
    detachedMessage('materialize', ['materialize-v-2024-05-01T00:00:00Z-2024-05-02T00:00:00Z'], LOCAL, 'floe materialize v --start …'),
    [
      'Stopped following: the materialize goes on as workflow materialize-v-2024-05-01T00:00:00Z-2024-05-02T00:00:00Z (Temporal 127.0.0.1:7233, namespace default).',
      '  follow it again: floe materialize v --start …',
      '  cancel it: temporal workflow cancel --workflow-id materialize-v-2024-05-01T00:00:00Z-2024-05-02T00:00:00Z --namespace default --address 127.0.0.1:7233',
    ].join('\n'),
  );
});

test('several workflows, TLS, an API key (named, never shown) and a Web UI', () => {
  const message = detachedMessage(
    'materialize',
    ['a', "b c'd"],
    {
      address: 'ns.tmprl.cloud:7233',
      namespace: 'ns.acct',
      tls: true,
      apiKey: true,
      workflowsPage: 'http://127.0.0.1:8233/namespaces/ns.acct/workflows',
    },
    'floe materialize',
  );
  assert.match(message, /^Stopped following: the materialize goes on as workflows a, b c'd \(/);
  assert.match(
    message,
    /^ {2}cancel it \(a\): temporal workflow cancel --workflow-id a --namespace ns\.acct --address ns\.tmprl\.cloud:7233 --tls --api-key "\$FLOE_TEMPORAL_API_KEY"$/m,
  );
  assert.match(message, /^ {2}cancel it \(b c'd\): temporal workflow cancel --workflow-id 'b c'\\''d' /m);
  assert.match(message, /^ {2}watch it: http:\/\/127\.0\.0\.1:8233\/namespaces\/ns\.acct\/workflows\/b%20c'd$/m);
});

test('the Web UI is the running floe dev’s, when it serves the Temporal of floe.yaml', async (t) => {
  const directory = scratchFolder('detached-message', t);
  const config = { temporal: { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'floe' } };
  assert.equal((await workflowWhereabouts({ directory, config })).workflowsPage, undefined, 'no floe dev');
  await mkdir(path.join(directory, '.floe'));
  const lock = (address: string) =>
    writeFile(
      path.join(directory, '.floe', 'dev.lock'),
      JSON.stringify({ pid: process.pid, temporalAddress: address, temporalUi: 'http://127.0.0.1:8233/namespaces/default/workflows' }),
    );
  await lock('127.0.0.1:7233');
  assert.equal((await workflowWhereabouts({ directory, config })).workflowsPage, 'http://127.0.0.1:8233/namespaces/default/workflows');
  await lock('127.0.0.1:7234');
  assert.equal((await workflowWhereabouts({ directory, config })).workflowsPage, undefined, 'a dev on another Temporal');
});
