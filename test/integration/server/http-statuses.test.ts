// services: none
// docs/reference/http.md's table of error statuses, held to the real feature server: each case below
// names the words of the table's "when" column it exercises, and the test checks both that the page
// puts those words under the status and `error` the case expects and that the server answers them.
// A row of the table no case here exercises must name the test file that does (EXERCISED_ELSEWHERE).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { OnlineStore } from '../../../features/online/index.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import { featureContext, testRuntime } from '../../support/runtime.js';
import { appendSource, createEmptySourceTable, definitions, VIEW } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { defined } from '../../../contracts/defined.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const START = Date.parse('2024-05-01T00:00:00Z');
const MAX_ENTITY_ROWS = 3;

interface DocumentedStatus {
  readonly status: number;
  readonly errors: readonly string[];
  readonly when: string;
}

/** The rows of http.md's table of statuses: `| 404 | \`not-found\` | an unknown view, … |`. */
function documentedStatuses(): DocumentedStatus[] {
  const page = readFileSync(path.join(root, 'docs', 'reference', 'http.md'), 'utf8');
  return page
    .split('\n')
    .map((line) => /^\| (\d{3}) \| ([^|]*) \| ([^|]*) \|$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({
      status: Number(match[1]),
      errors: [...match[2]!.matchAll(/`([^`]+)`/g)].map((error) => error[1]!),
      when: match[3]!,
    }));
}

interface Case {
  /** The case, when the words it is documented by are more (an unknown feature of a known view). */
  readonly what?: string;
  /** Words of the table's "when" column. */
  readonly documented: string;
  readonly status: number;
  readonly error: string;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: string;
  readonly contentType?: string;
  /** What the answer's message must say (what is wrong, by name). */
  readonly message: RegExp;
}

const entities = { driver_id: [1001] };
const UNKNOWN_NAME = 'an unknown view, feature, feature service or push source';
const CASES: readonly Case[] = [
  {
    documented: 'a malformed body',
    status: 400,
    error: 'invalid-input',
    method: 'POST',
    url: '/get-online-features',
    body: '{"features": [',
    message: /JSON/i,
  },
  {
    documented: 'an unknown column',
    status: 400,
    error: 'invalid-input',
    method: 'POST',
    url: '/push',
    body: JSON.stringify({
      push_source_name: 'driver_push',
      to: 'offline',
      df: { driver_id: [1001], no_such_column: [1], event_timestamp: ['2024-05-01T10:00:00Z'] },
    }),
    message: /no_such_column/,
  },
  {
    documented: 'a bad value',
    status: 400,
    error: 'invalid-input',
    method: 'POST',
    url: '/get-online-features',
    body: JSON.stringify({ features: [`${VIEW}:conv_rate`], entities: { driver_id: ['not a number'] } }),
    message: /driver_id/,
  },
  {
    documented: '`__proto__`',
    status: 400,
    error: 'invalid-input',
    method: 'POST',
    url: '/get-online-features',
    body: JSON.stringify({ features: [`${VIEW}:conv_rate`], entities: { ...entities, ['__proto__']: [1] } }),
    message: /__proto__/,
  },
  {
    documented: UNKNOWN_NAME,
    what: 'an unknown feature view',
    status: 404,
    error: 'not-found',
    method: 'POST',
    url: '/get-online-features',
    body: JSON.stringify({ features: ['no_such_view:conv_rate'], entities }),
    message: /no_such_view/,
  },
  {
    documented: UNKNOWN_NAME,
    what: 'an unknown feature of a known view',
    status: 404,
    error: 'not-found',
    method: 'POST',
    url: '/get-online-features',
    body: JSON.stringify({ features: [`${VIEW}:no_such_feature`], entities }),
    message: /no_such_feature/,
  },
  {
    documented: UNKNOWN_NAME,
    what: 'an unknown feature service',
    status: 404,
    error: 'not-found',
    method: 'POST',
    url: '/get-online-features',
    body: JSON.stringify({ feature_service: 'no_such_service', entities }),
    message: /no_such_service/,
  },
  {
    documented: UNKNOWN_NAME,
    what: 'an unknown push source',
    status: 404,
    error: 'not-found',
    method: 'POST',
    url: '/push',
    body: JSON.stringify({ push_source_name: 'no_such_push', df: { driver_id: [1001] } }),
    message: /no_such_push/,
  },
  { documented: 'an unknown route', status: 404, error: 'not-found', method: 'GET', url: '/no-such-route', message: /get-online-features/ },
  {
    documented: 'more entity rows than `server.maxEntityRows`',
    status: 413,
    error: 'too-many-entity-rows',
    method: 'POST',
    url: '/get-online-features',
    body: JSON.stringify({ features: [`${VIEW}:conv_rate`], entities: { driver_id: [1, 2, 3, 4] } }),
    message: /4 entity rows/,
  },
  {
    documented: 'a Content-Type the server does not read',
    status: 415,
    error: 'invalid-input',
    method: 'POST',
    url: '/get-online-features',
    body: '{}',
    contentType: 'image/png',
    message: /image\/png/,
  },
  {
    documented: '`/materialize` or `/materialize-incremental` when the server has no Temporal client',
    status: 503,
    error: 'temporal-unavailable',
    method: 'POST',
    url: '/materialize',
    body: JSON.stringify({ start_ts: '2024-05-01T00:00:00Z', end_ts: '2024-05-02T00:00:00Z' }),
    message: /Temporal/,
  },
];

/** Rows whose statuses need a server set up otherwise (auth, a push under load, a failure); the test that answers each. */
const EXERCISED_ELSEWHERE: Readonly<Record<string, string>> = {
  '401 unauthorized': 'test/integration/server/feature-server-auth.test.ts',
  '403 forbidden': 'test/integration/server/feature-server-auth.test.ts',
  '409 request-id-conflict': 'test/integration/push/push.test.ts',
  '413 body-too-large': 'test/integration/server/feature-server-hardening.test.ts',
  '503 push-overloaded': 'test/integration/push/push.test.ts',
  '500 internal': 'test/integration/server/feature-server-hardening.test.ts',
};

const scratch = scratchFolder('http-statuses');
let runtime: Runtime;
let server: FastifyInstance;
let base: string;

before(async () => {
  runtime = await testRuntime({
    directory: scratch,
    catalog: { type: 'sql', uri: `sqlite:///${path.join(scratch, 'catalog.db')}`, warehouse: `file://${path.join(scratch, 'warehouse')}` },
    definitions: [
      ...definitions('rides.driver_stats', { buckets: 4 }),
      definePushSource({ name: 'driver_push', batchSource: 'driver_source' }),
    ],
  });
  const context = featureContext(runtime);
  await createEmptySourceTable(runtime.catalog, 'rides.driver_stats');
  await appendSource(context, 'rides.driver_stats', [{ driver_id: 1001, conv_rate: 0.5, trips: 7, event: START, created: START }]);
  server = createFeatureServer({
    store: new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine }),
    maxEntityRows: MAX_ENTITY_ROWS,
    // The 5xx answers are logged; this test reads the answers, not the log.
    logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  base = await server.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await server?.close();
  await runtime?.close();
});

test('every row of http.md’s status table is exercised, here or by the test it names', () => {
  const rows = documentedStatuses();
  assert.ok(rows.length >= 10, `only ${rows.length} rows parsed`);
  const uncovered = rows.flatMap((row) =>
    row.errors
      .filter((error) => !CASES.some((one) => one.status === row.status && one.error === error))
      .map((error) => `${row.status} ${error}`)
      .filter((key) => EXERCISED_ELSEWHERE[key] === undefined),
  );
  for (const file of Object.values(EXERCISED_ELSEWHERE)) assert.ok(existsSync(path.join(root, file)), file);
  // `unsupported` shares the 400 row with invalid-input; `the error's kind` is the 500 row's prose.
  assert.deepEqual(
    uncovered.filter((key) => key !== '400 unsupported'),
    [],
  );
});

for (const one of CASES) {
  test(`${one.what ?? one.documented} → ${one.status} ${one.error}, as http.md says`, async () => {
    const rows = documentedStatuses().filter((candidate) => candidate.when.includes(one.documented));
    assert.equal(rows.length, 1, `http.md's table mentions "${one.documented}" in ${rows.length} rows`);
    const row = rows[0]!;
    assert.deepEqual(
      [row.status, row.errors.includes(one.error)],
      [one.status, true],
      `http.md puts "${one.documented}" under ${row.status} ${row.errors.join(', ')}`,
    );
    const response = await fetch(`${base}${one.url}`, {
      method: one.method,
      ...defined({ body: one.body }),
      headers: { 'content-type': one.contentType ?? 'application/json' },
    });
    const text = await response.text();
    assert.equal(response.status, one.status, text);
    // Feast's error detail: a JSON string holding the error's fields.
    const detail = JSON.parse(JSON.parse(text) as string) as { error: string; message: string };
    assert.equal(detail.error, one.error, text);
    assert.match(detail.message, one.message);
  });
}
