// services: none
// Feast's documented curl (`curl -X POST http://…/get-online-features -d '{…}'`) sends its JSON as
// application/x-www-form-urlencoded; other clients send text/plain or no Content-Type. The feature
// server reads each as JSON and answers exactly as it does for application/json.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import type { Runtime } from '../../../features/runtime.js';
import { featureContext, testRuntime } from '../../support/runtime.js';
import { appendSource, createEmptySourceTable, definitions, sqlCase, VIEW } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const HOUR = 3_600_000;
const START = Date.parse('2024-05-01T00:00:00Z');
const WINDOW = { start: START, end: START + 24 * HOUR };
const BODY = JSON.stringify({ features: [`${VIEW}:conv_rate`, `${VIEW}:trips`], entities: { driver_id: [1001, 1002, 4242] } });

const scratch = scratchFolder('content-type');
let runtime: Runtime;
let server: FastifyInstance;
let base: URL;

before(async () => {
  runtime = await testRuntime({
    directory: scratch,
    catalog: sqlCase(scratch).config,
    definitions: definitions('rides.driver_stats', { buckets: 2 }),
  });
  const context = featureContext(runtime);
  await createEmptySourceTable(runtime.catalog, 'rides.driver_stats');
  await appendSource(context, 'rides.driver_stats', [
    { driver_id: 1001, conv_rate: 0.25, trips: 7, event: START + HOUR, created: START + HOUR },
    { driver_id: 1002, conv_rate: 0.75, trips: 9, event: START + 2 * HOUR, created: START + 2 * HOUR },
  ]);
  await materializeWindow(context, VIEW, { start: new Date(WINDOW.start), end: new Date(WINDOW.end) }, 'content-type-test');
  server = createFeatureServer({
    store: new OnlineStore({
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      clock: () => WINDOW.end,
    }),
  });
  base = new URL(await server.listen({ host: '127.0.0.1', port: 0 }));
});

after(async () => {
  await server?.close();
  await runtime?.close();
});

/** A POST through node:http, which (unlike fetch) sends exactly the headers given: none by default. */
function post(body: string, headers: { 'content-type'?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: base.hostname,
        port: base.port,
        path: '/get-online-features',
        method: 'POST',
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

describe('POST /get-online-features without a JSON Content-Type', () => {
  test('no Content-Type, text/plain and curl -d (x-www-form-urlencoded) get the application/json answer', async () => {
    const expected = await post(BODY, { 'content-type': 'application/json' });
    assert.equal(expected.status, 200, expected.text);
    assert.deepEqual((JSON.parse(expected.text) as { results: { values: unknown[] }[] }).results[1]!.values, [0.25, 0.75, null]);
    for (const headers of [
      {},
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'text/plain; charset=utf-8' },
    ]) {
      const answer = await post(BODY, headers);
      assert.equal(answer.status, 200, `${JSON.stringify(headers)}: ${answer.text}`);
      assert.equal(answer.text, expected.text, JSON.stringify(headers));
    }
  });

  test('a body that is not JSON is a 400 saying so, whatever the Content-Type', async () => {
    for (const headers of [{}, { 'content-type': 'application/x-www-form-urlencoded' }]) {
      const answer = await post('features=a&entities=b', headers);
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.text, /not valid JSON/);
    }
  });

  test('a Content-Type that is not read as JSON is a 415 naming it', async () => {
    const answer = await post(BODY, { 'content-type': 'application/xml' });
    assert.equal(answer.status, 415, answer.text);
    assert.match(answer.text, /Content-Type application\/xml is not one the feature server reads; send JSON as application\/json/);
  });
});
