// services: temporal, python, nginx
// Temporal behind TLS, as in production or Temporal Cloud: nginx in front of the real dev server
// checks a client certificate signed by the test's CA and an API key (`authorization: Bearer`).
// A `floe worker` process and `floe backfill` both connect through it with the certificate from
// floe.yaml and the environment and the key from FLOE_TEMPORAL_API_KEY, and the backfill runs; a
// client without a certificate, or with another key, is refused with a Floe error naming the
// address and the setting; no key or key file content reaches an output, a log or the history.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { readProjectConfig } from '../../../features/config.js';
import { FloeError } from '../../../core/errors.js';
import { connectWorker } from '../../../public/worker.js';
import { connectClient } from '../../../cli/temporal-client.js';
import { temporalService } from '../../support/services.js';
import { startTlsProxy, TLS_SERVER_NAME, type TlsProxy } from '../../support/tls-proxy.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { createDriverStatsCatalog, expectedRows, type SourceTable } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const API_KEY = `floe-test-key-${randomUUID()}`;
const view = `tls_${randomUUID().slice(0, 8)}`;

const directory = scratchFolder('temporal-tls');
let proxy: TlsProxy;
let source: SourceTable;
let worker: ChildProcess | undefined;
let workerOutput = '';
let keyPem: string;
/** The worker's and the commands' environment: the client certificate and the API key, as a deployment sets them. */
let env: NodeJS.ProcessEnv;

before(async () => {
  proxy = await startTlsProxy({ requireApiKey: API_KEY });
  keyPem = await readFile(proxy.clientKeyFile, 'utf8');
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'temporal-tls', source, view, viewFields: ['online: { buckets: 2 }'] });
  // The CA and the server name in floe.yaml; the client certificate and the key from the environment.
  const file = path.join(directory, 'floe.yaml');
  const yaml = await readFile(file, 'utf8');
  const direct = `address: ${JSON.stringify(temporalService().address)}`;
  assert.ok(yaml.includes(direct));
  await writeFile(
    file,
    yaml.replace(
      direct,
      `address: ${JSON.stringify(proxy.address)}\n  tls: { caFile: ${JSON.stringify(proxy.caFile)}, serverName: ${TLS_SERVER_NAME} }`,
    ),
  );
  env = {
    ...process.env,
    FLOE_TEMPORAL_TLS_CERT_FILE: proxy.clientCertFile,
    FLOE_TEMPORAL_TLS_KEY_FILE: proxy.clientKeyFile,
    FLOE_TEMPORAL_API_KEY: API_KEY,
  };
  worker = startWorker(directory, { env, output: (text) => (workerOutput += text) });
});

after(async () => {
  await stopWorker(worker);
  await proxy?.stop();
});

function assertNoSecret(text: string, what: string): void {
  assert.ok(!text.includes(API_KEY), `${what} holds the API key`);
  assert.ok(!text.includes(keyPem.trim().split('\n')[1]!), `${what} holds the client key`);
  assert.doesNotMatch(text, /BEGIN [A-Z ]*PRIVATE KEY/, `${what} holds a PEM key`);
}

describe('Temporal over mTLS with an API key', () => {
  test(
    'a backfill runs through the TLS endpoint, with the worker and the command both connected over it',
    { timeout: 180_000 },
    async () => {
      const backfill = await floeCommand(
        [
          'backfill',
          view,
          '--start',
          '2024-05-01T00:00:00Z',
          '--end',
          '2024-05-03T00:00:00Z',
          '--chunk',
          '1d',
          '--project',
          directory,
          '--json',
        ],
        { env },
      );
      assert.equal(backfill.code, 0, backfill.stderr);
      const result = JSON.parse(backfill.stdout) as { chunks: number; rows: number };
      const days = [
        { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' },
        { start: '2024-05-02T00:00:00.000Z', end: '2024-05-03T00:00:00.000Z' },
      ];
      assert.equal(result.chunks, 2);
      assert.equal(result.rows, expectedRows(source.rows, days).length);
      assertNoSecret(backfill.stdout + backfill.stderr, "floe backfill's output");
      assert.match(workerOutput, new RegExp(`on ${proxy.address.replace(/\./g, '\\.')}`), 'the worker connected through the proxy');
      assertNoSecret(workerOutput, "the worker's output");

      // The schedule client goes the same way.
      const schedules = await floeCommand(['schedule', 'list', '--project', directory, '--json'], { env });
      assert.equal(schedules.code, 0, schedules.stderr);

      // Nothing of the credentials is in the workflow's history (read straight from the dev server).
      const connection = await Connection.connect({ address: temporalService().address });
      try {
        const client = new Client({ connection });
        const workflows = client.workflow.list({ query: `TaskQueue = "${await taskQueue()}"` });
        let histories = 0;
        for await (const execution of workflows) {
          const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
          assertNoSecret(JSON.stringify(history), `the history of ${execution.workflowId}`);
          assert.ok(!JSON.stringify(history).includes(proxy.clientKeyFile), 'the history names the key file');
          histories += 1;
        }
        assert.ok(histories >= 1, 'the backfill left a workflow on the task queue');
      } finally {
        await connection.close();
      }
    },
  );

  test('a command without a client certificate is refused, naming the address and the settings', async () => {
    const { FLOE_TEMPORAL_TLS_CERT_FILE: _cert, FLOE_TEMPORAL_TLS_KEY_FILE: _key, ...withoutCertificate } = env;
    const refused = await floeCommand(['schedule', 'list', '--project', directory], { env: withoutCertificate });
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(
      refused.stderr.trim(),
      `floe: The Temporal server at ${proxy.address} refused the TLS connection without a client certificate: set temporal.tls.certFile and temporal.tls.keyFile in temporal.tls in floe.yaml (or FLOE_TEMPORAL_TLS_CA_FILE, FLOE_TEMPORAL_TLS_CERT_FILE, FLOE_TEMPORAL_TLS_KEY_FILE, FLOE_TEMPORAL_TLS_SERVER_NAME)`,
    );
    assertNoSecret(refused.stderr, 'the refusal');

    // floe/worker's connectWorker, given floe.yaml's settings, says the same.
    const config = await readProjectConfig(path.join(directory, 'floe.yaml'), { FLOE_TEMPORAL_API_KEY: API_KEY });
    await assert.rejects(
      connectWorker(config.temporal),
      (error: unknown) =>
        FloeError.is(error, 'invalid-input') &&
        error.message.startsWith(`The Temporal server at ${proxy.address} refused the TLS connection without a client certificate`),
    );
  });

  test('a certificate from another CA is refused', async () => {
    const refused = await floeCommand(['schedule', 'list', '--project', directory], {
      env: { ...env, FLOE_TEMPORAL_TLS_CERT_FILE: proxy.strangerCertFile, FLOE_TEMPORAL_TLS_KEY_FILE: proxy.strangerKeyFile },
    });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(
        `^floe: The Temporal server at ${proxy.address.replace(/\./g, '\\.')} refused the TLS connection or its client certificate: check temporal\\.tls`,
      ),
    );
  });

  test('the API key goes as authorization: Bearer; another key is refused without being shown', async () => {
    const wrongKey = `floe-wrong-key-${randomUUID()}`;
    const refused = await floeCommand(['schedule', 'list', '--project', directory], { env: { ...env, FLOE_TEMPORAL_API_KEY: wrongKey } });
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(
      refused.stderr.trim(),
      `floe: The Temporal server at ${proxy.address} refused the API key in FLOE_TEMPORAL_API_KEY: check the key, its namespace and its expiry`,
    );
    assert.ok(!refused.stderr.includes(wrongKey));

    const { FLOE_TEMPORAL_API_KEY: _apiKey, ...withoutKey } = env;
    const asked = await floeCommand(['schedule', 'list', '--project', directory], { env: withoutKey });
    assert.equal(asked.code, 2, asked.stderr);
    assert.match(asked.stderr, /asks for credentials: set FLOE_TEMPORAL_API_KEY/);

    // In process, with the key: the client connects (so nginx saw `Bearer <key>`).
    const config = await readProjectConfig(path.join(directory, 'floe.yaml'), env);
    const client = await connectClient(config);
    await client.connection.close();
  });
});

async function taskQueue(): Promise<string> {
  return (await readProjectConfig(path.join(directory, 'floe.yaml'), env)).temporal.taskQueue;
}
