// services: temporal
// Secrets never leave Floe, whatever a server echoes: a REST catalog stub (a fixture for the error
// path only, on 127.0.0.1) answers 400 with a body repeating the bearer token and 500 with a Jetty
// HTML page holding a Java stack trace. `floe` commands against a project whose floe.yaml takes the
// token from the environment print one line naming the catalog and table, without the token, the
// page or the trace; a materialize on the real Temporal dev server fails with the token in no line
// of the worker's log and nowhere in the workflow's history.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { temporalService } from '../../support/services.js';
import { floeCommand, startWorker, stopWorker } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// Characters that URL-, form- and JSON-encode differently, so an encoded echo is caught too.
const TOKEN = `floe-tok/${randomUUID()}+"=`;
const BROKEN_TABLE = 'broken_stats';

let directory: string;
let project: string;
let stub: http.Server;
let env: NodeJS.ProcessEnv;
const authorizations: string[] = [];

/** Every form the token could leak in. */
function leaks(text: string): string[] {
  const forms = [
    TOKEN,
    encodeURIComponent(TOKEN),
    new URLSearchParams({ t: TOKEN }).toString().slice(2),
    JSON.stringify(TOKEN).slice(1, -1),
    Buffer.from(TOKEN).toString('base64'),
    TOKEN.split('/')[1]!,
  ];
  return forms.filter((form) => text.includes(form));
}

/** Every string in a history, payloads (inputs, failure details: base64 bytes) decoded to the UTF-8 text they hold. */
function historyStrings(history: unknown): string[] {
  const strings: string[] = [];
  const walk = (value: unknown, key: string): void => {
    if (typeof value === 'string') strings.push(key === 'data' ? Buffer.from(value, 'base64').toString('utf8') : value);
    else if (Array.isArray(value)) value.forEach((item) => walk(item, key));
    else if (value !== null && typeof value === 'object') for (const [name, item] of Object.entries(value)) walk(item, name);
  };
  walk(JSON.parse(JSON.stringify(history)), '');
  return strings;
}

const javaPage = (token: string): string =>
  [
    '<html>',
    '<head>',
    '<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>',
    '<title>Error 500 Server Error</title>',
    '</head>',
    '<body><h2>HTTP ERROR 500 org.apache.iceberg.exceptions.ServiceFailureException</h2>',
    `<pre>org.apache.iceberg.exceptions.ServiceFailureException: Server error: request with Authorization: Bearer ${token}`,
    '\tat org.apache.iceberg.rest.RESTCatalogAdapter.execute(RESTCatalogAdapter.java:412)',
    '\tat org.apache.iceberg.rest.RESTCatalogServlet.execute(RESTCatalogServlet.java:101)',
    '\tat org.eclipse.jetty.servlet.ServletHolder.handle(ServletHolder.java:799)',
    '</pre></body>',
    '</html>',
  ].join('\n');

before(async () => {
  stub = http.createServer((request, response) => {
    const authorization = request.headers.authorization ?? '';
    authorizations.push(authorization);
    const url = new URL(request.url ?? '/', 'http://stub');
    if (url.pathname === '/v1/config') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"defaults": {}, "overrides": {}}');
      return;
    }
    if (url.pathname.endsWith(`/tables/${BROKEN_TABLE}`)) {
      response
        .writeHead(500, { 'content-type': 'text/html;charset=iso-8859-1' })
        .end(request.method === 'HEAD' ? undefined : javaPage(authorization.replace(/^Bearer /, '')));
      return;
    }
    const echoed = authorization.replace(/^Bearer /, '');
    const body = JSON.stringify({
      error: {
        message: `Malformed request: token ${echoed} (${encodeURIComponent(echoed)}) is not valid for ${url.pathname}\njava.lang.IllegalArgumentException: ${echoed}\n\tat org.apache.iceberg.rest.RESTCatalogServlet.execute(RESTCatalogServlet.java:101)`,
        type: 'BadRequestException',
        code: 400,
        stack: [
          `java.lang.IllegalArgumentException: ${echoed}`,
          '\tat org.apache.iceberg.rest.RESTCatalogServlet.execute(RESTCatalogServlet.java:101)',
        ],
      },
    });
    response.writeHead(400, { 'content-type': 'application/json' }).end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  const stubUri = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;

  directory = scratchFolder('secrets');
  project = path.join(directory, 'project');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(project, 'features.ts'),
    `import { defineEntity, defineFeatureView, defineIcebergSource } from ${JSON.stringify(path.join(root, 'features', 'definitions.ts'))};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const stats = defineIcebergSource({ name: 'driver_stats', table: 'rides.driver_stats', timestampField: 'event_timestamp' });
export const view = defineFeatureView({ name: 'driver_hourly_stats', entities: ['driver'], source: 'driver_stats', features: [{ name: 'conv_rate', type: 'double' }], online: { buckets: 4 } });
`,
  );
  await writeFile(
    path.join(project, 'floe.yaml'),
    `project: secrets
catalog:
  type: rest
  name: lake
  uri: ${stubUri}
  warehouse: wh
  token: \${FLOE_TEST_CATALOG_TOKEN}
temporal:
  address: \${FLOE_TEMPORAL_ADDRESS}
  taskQueue: secrets-${randomUUID()}
registry:
  location: ${JSON.stringify(path.join(directory, 'registry'))}
workDirectory: work
`,
  );
  env = { ...process.env, FLOE_TEST_CATALOG_TOKEN: TOKEN, FLOE_TEMPORAL_ADDRESS: temporalService().address, FLOE_LOG_LEVEL: 'INFO' };
});

after(async () => {
  await new Promise((resolve) => stub?.close(resolve));
});

describe('floe against a catalog that echoes its token', () => {
  test('a 400 echoing the token: one line naming the catalog and table, no token, no stack trace', async () => {
    const result = await floeCommand(['table', 'inspect', 'rides.driver_stats', '--project', project], { env });
    assert.ok(authorizations.includes(`Bearer ${TOKEN}`), 'the stub was sent the token (so the test can fail)');
    assert.equal(result.code, 2, result.stderr);
    assert.deepEqual(leaks(result.stdout + result.stderr), [], result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0]!,
      /^floe: Could not load table rides\.driver_stats: HTTP 400 BadRequestException: Malformed request: token \[redacted\] .*\(catalog=lake, table=rides\.driver_stats, status=400\)$/,
    );
    assert.doesNotMatch(result.stderr, /java\.|\tat |\.java:\d+/);
  });

  test('an HTML 500 page with a Java stack trace: its title only', async () => {
    const result = await floeCommand(['table', 'inspect', `rides.${BROKEN_TABLE}`, '--project', project], { env });
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(leaks(result.stdout + result.stderr), []);
    assert.equal(
      result.stderr.trim(),
      `floe: Could not load table rides.${BROKEN_TABLE}: HTTP 500 Error 500 Server Error (catalog=lake, table=rides.${BROKEN_TABLE}, status=500)`,
    );
  });

  for (const args of [
    ['table', 'history', 'rides.driver_stats'],
    ['get-online', 'driver_hourly_stats:conv_rate', '--entity', 'driver_id=1001'],
    ['get-online', 'driver_hourly_stats:conv_rate', '--entity', 'driver_id=1001', '--json'],
  ]) {
    test(`floe ${args.join(' ')}: the token appears nowhere in the output`, async () => {
      const result = await floeCommand([...args, '--project', project], { env });
      assert.notEqual(result.code, 0, 'the stub fails every table request');
      assert.deepEqual(leaks(result.stdout + result.stderr), [], result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /catalog=lake/);
      assert.doesNotMatch(result.stderr, /java\.|\tat |\.java:\d+|<html|<pre/);
    });
  }
});

describe('the worker path', () => {
  let worker: ChildProcess | undefined;
  let workerOutput = '';

  after(async () => {
    await stopWorker(worker);
  });

  test('a materialize failing with the token in its message: redacted in the CLI, the worker log and the workflow history', async () => {
    worker = startWorker(project, { env, output: (text) => (workerOutput += text) });
    const workflowId = `secrets-materialize-${randomUUID()}`;
    const result = await floeCommand(
      [
        'materialize',
        'driver_hourly_stats',
        '--start',
        '2024-05-02T00:00:00Z',
        '--end',
        '2024-05-03T00:00:00Z',
        '--workflow-id',
        workflowId,
        '--project',
        project,
      ],
      { env },
    );
    assert.notEqual(result.code, 0, `materialize should fail against the stub:\n${result.stdout}`);
    assert.deepEqual(leaks(result.stdout + result.stderr), [], result.stderr);
    assert.match(result.stderr, /HTTP 400 BadRequestException: Malformed request: token \[redacted\]/);

    const connection = await Connection.connect({ address: temporalService().address });
    try {
      const client = new Client({ connection, namespace: temporalService().namespace });
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const text = historyStrings(history).join('\n');
      assert.match(text, /"kind":"invalid-input"/, 'failure details are searched as text');
      const failed = history.events?.filter((event) => event.activityTaskFailedEventAttributes) ?? [];
      assert.ok(failed.length > 0, 'the history records the failed activity');
      assert.match(text, /\[redacted\]/, 'the failure is in the history, redacted');
      assert.deepEqual(leaks(text), [], 'no form of the token in the workflow history');
      for (const event of failed) {
        const failure = event.activityTaskFailedEventAttributes!.failure!;
        assert.equal(failure.stackTrace ?? '', '', "no worker stack in the activity's failure");
        assert.doesNotMatch(
          JSON.stringify(failure),
          new RegExp(`${root.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}|\\.ts:\\d+`),
          "no worker file path in the activity's failure",
        );
      }
    } finally {
      await connection.close();
    }
    await stopWorker(worker);
    worker = undefined;
    assert.deepEqual(leaks(workerOutput), [], workerOutput);
  });
});
