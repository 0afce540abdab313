// services: python
// Feast's own Python client against `floe serve` (issue #41): a Feast repository whose
// online store is `{type: remote, path: <the server>}` calls get_online_features (plain views, a
// feature service, full names, composite keys, missing entities, TTL-expired rows),
// write_to_online_store and push, through Feast 0.67 (one request per call) and Feast 0.60 (the
// older shape: one request per view, only the first join key, no Content-Type). Every value Feast
// answers is compared with OnlineStore.getOnlineFeatures on the same data.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess, ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { appendQuery } from '../../../engine/write/append-query.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import type { OnlineValue } from '../../../features/online/index.js';
import type { Definition } from '../../../features/registry.js';
import type { Runtime } from '../../../features/runtime.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import { featureContext, testRuntime } from '../../support/runtime.js';
import { oldFeastPython, pythonOracle } from '../../support/services.js';
import { appendSource, createEmptySourceTable, sqlCase, VIEW } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { defined } from '../../../contracts/defined.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(HERE, 'driver.py');
const ROOT = path.resolve(HERE, '..', '..', '..');
const FLOE = path.join(ROOT, 'bin', 'floe.js');
const HOUR = 3_600_000;
// The last whole hour: floe serve reads with the real clock, and every row's age relative to the
// TTL (1 h and 3 h inside 6 h, 12 h outside) holds whenever the test runs.
const CLOCK = Math.floor(Date.now() / HOUR) * HOUR;
const WINDOW = { start: new Date(CLOCK - 24 * HOUR), end: new Date(CLOCK) };
const CITY_VIEW = 'driver_city_view';
const LIVE_VIEW = 'driver_live';

const scratch = scratchFolder('feast-client');
let runtime: Runtime;
let store: OnlineStore;
const servers: ChildProcess[] = [];
let secured: string;
const TOKEN = `feast-notebook-${randomUUID()}`;
let proxy: Server;
let url: string;
const seen: { route: string; contentType: string | undefined; keys: string[]; joinKeys: string[] }[] = [];

/** The Floe project's definitions, as `floe serve` loads them and as this test's runtime uses them. */
function featuresModule(): string {
  const module = (name: string) => JSON.stringify(path.join(ROOT, 'features', name));
  return `import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from ${module('definitions.ts')};
import { definePushSource } from ${module('push-source.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const city = defineEntity({ name: 'city', joinKeys: [{ name: 'city', type: 'string' }] });
export const driverSource = defineIcebergSource({ name: 'driver_source', table: 'rides.driver_stats', timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const citySource = defineIcebergSource({ name: 'driver_city_source', table: 'rides.driver_city', timestampField: 'event_timestamp' });
export const liveSource = defineIcebergSource({ name: 'driver_live_source', table: 'rides.driver_live', timestampField: 'event_timestamp', createdTimestampField: 'created' });
export const push = definePushSource({ name: 'driver_push', batchSource: 'driver_live_source' });
export const stats = defineFeatureView({
  name: ${JSON.stringify(VIEW)}, entities: ['driver'], source: 'driver_source',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'trips', type: 'long' }],
  ttl: { hours: 6 }, online: { buckets: 4 },
});
export const cityStats = defineFeatureView({
  name: ${JSON.stringify(CITY_VIEW)}, entities: ['driver', 'city'], source: 'driver_city_source',
  features: [{ name: 'rides', type: 'long' }, { name: 'rating', type: 'double' }], online: { buckets: 4 },
});
export const live = defineFeatureView({
  name: ${JSON.stringify(LIVE_VIEW)}, entities: ['driver'], source: 'driver_push',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'trips', type: 'long' }], online: { buckets: 4 },
});
export const service = defineFeatureService({ name: 'driver_trips_model', features: [${JSON.stringify(`${VIEW}:trips`)}] });
`;
}

before(async () => {
  // Named as the pyiceberg oracle names its SQL catalog, so it reads the same tables.
  const catalog = { ...sqlCase(scratch).config, name: 'floe_oracle' };
  await writeFile(path.join(scratch, 'package.json'), '{"type": "module"}\n');
  await writeFile(path.join(scratch, 'features.ts'), featuresModule());
  await writeFile(
    path.join(scratch, 'floe.yaml'),
    `project: feast_client\ncatalog:\n  type: sql\n  name: floe_oracle\n  uri: ${JSON.stringify(catalog.uri)}\n  warehouse: ${JSON.stringify(catalog.warehouse)}\npush:\n  maxDelayMs: 10\nworkDirectory: work\n`,
  );
  // The same project behind server.auth: Feast's client proves itself with a bearer token.
  secured = path.join(scratch, 'secured');
  await mkdir(secured);
  await writeFile(path.join(secured, 'package.json'), '{"type": "module"}\n');
  await writeFile(path.join(secured, 'features.ts'), featuresModule());
  const digest = createHash('sha256').update(TOKEN).digest('hex');
  await writeFile(
    path.join(secured, 'floe.yaml'),
    (await readFile(path.join(scratch, 'floe.yaml'), 'utf8')) +
      `server:\n  auth:\n    tokens:\n      - name: notebook\n        sha256: ${digest}\n        read: true\n        push: [driver_push]\n        write: [${LIVE_VIEW}]\n`,
  );
  const definitions = Object.values((await import(pathToFileURL(path.join(scratch, 'features.ts')).href)) as Record<string, Definition>);
  runtime = await testRuntime({ directory: scratch, catalog, definitions });
  const context = featureContext(runtime);
  await createEmptySourceTable(runtime.catalog, 'rides.driver_stats');
  await createEmptySourceTable(runtime.catalog, 'rides.driver_live');
  // 1001 an hour before the clock, 1002 twelve hours before it (expired at the 6 h TTL), 1003 corrected later.
  await appendSource(context, 'rides.driver_stats', [
    { driver_id: 1001, conv_rate: 0.25, trips: 7, event: CLOCK - HOUR, created: CLOCK - HOUR },
    { driver_id: 1002, conv_rate: 0.75, trips: 9, event: CLOCK - 12 * HOUR, created: CLOCK - 12 * HOUR },
    { driver_id: 1003, conv_rate: 0.125, trips: 1, event: CLOCK - 3 * HOUR, created: CLOCK - 3 * HOUR },
    { driver_id: 1003, conv_rate: 0.375, trips: 2, event: CLOCK - 3 * HOUR, created: CLOCK - 2 * HOUR },
  ]);
  const city = parseTableIdentifier('rides.driver_city');
  await runtime.catalog.createTable(city, {
    schema: {
      schemaId: 0,
      identifierFieldIds: [],
      fields: [
        { id: 1, name: 'driver_id', type: 'long', required: true },
        { id: 2, name: 'city', type: 'string', required: true },
        { id: 3, name: 'rides', type: 'long', required: false },
        { id: 4, name: 'rating', type: 'double', required: false },
        { id: 5, name: 'event_timestamp', type: 'timestamptz', required: true },
      ],
    },
  });
  const at = `CAST('${new Date(CLOCK - 2 * HOUR).toISOString()}' AS TIMESTAMPTZ)`;
  await appendQuery({
    ...context,
    identifier: city,
    query: `SELECT * FROM (VALUES (1001::BIGINT, 'ams', 11::BIGINT, 4.5::DOUBLE, ${at}), (1001::BIGINT, 'rtm', 3::BIGINT, 3.25::DOUBLE, ${at}), (1002::BIGINT, 'ams', 5::BIGINT, 5.0::DOUBLE, ${at})) AS v(driver_id, city, rides, rating, event_timestamp)`,
  });
  await materializeWindow(context, VIEW, WINDOW, 'feast-client-stats');
  await materializeWindow(context, CITY_VIEW, WINDOW, 'feast-client-city');
  // The judge: Floe's library over the same catalog.
  store = new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine });
  const served = await startServe();
  // Feast's clients talk to floe serve through a proxy that records what they send, as sent.
  proxy = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = request.headers['content-type'];
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(body.toString()) as Record<string, unknown>;
      } catch {
        // recorded with no keys
      }
      seen.push({
        route: request.url ?? '',
        contentType,
        keys: Object.keys(parsed).sort(),
        joinKeys: Object.keys((parsed.entities as object | undefined) ?? {}).sort(),
      });
      fetch(`${served}${request.url}`, {
        method: request.method ?? 'POST',
        headers: defined({ 'content-type': contentType }),
        body: new Uint8Array(body),
      }).then(
        async (answer) => {
          response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          response.end(Buffer.from(await answer.arrayBuffer()));
        },
        (error: unknown) => {
          response.writeHead(502);
          response.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

function startServe(project = scratch): Promise<string> {
  const server = spawn(process.execPath, [FLOE, 'serve', '--project', project, '--port', '0', '--json', '--refresh-interval-ms', '100'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    server.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^\{[\s\S]*?^\}/m.exec(stdout);
      if (ready) resolve((JSON.parse(ready[0]) as { url: string }).url);
    });
    server.once('exit', (code) => reject(new Error(`floe serve exited with ${code} before listening:\n${stderr}`)));
  });
}

after(async () => {
  for (const driver of drivers.values()) {
    const closed = new Promise((resolve) => driver.child.once('close', resolve));
    driver.child.stdin.end();
    if (driver.ended === undefined) await closed;
  }
  proxy?.close();
  for (const server of servers) {
    if (server.exitCode !== null || server.signalCode !== null) continue;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await runtime?.close();
});

type Row = Record<string, string | number>;
type Call =
  | { name: string; op: 'get'; features?: string[]; feature_service?: string; entity_rows: Row[]; full_feature_names?: boolean }
  | { name: string; op: 'write'; feature_view_name: string; df: Record<string, unknown[]> }
  | { name: string; op: 'push'; push_source_name: string; df: Record<string, unknown[]> };
interface Answer {
  readonly name: string;
  readonly ok: boolean;
  readonly result?: Record<string, unknown[]> | null;
  readonly error?: string;
}

/**
 * The driver process of one Python (one Feast version), started on first use and kept for the
 * whole file: importing Feast takes seconds of CPU, so the file starts each version once.
 */
interface FeastDriver {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  wake: () => void;
  stderr: string;
  ended: string | undefined;
}
const drivers = new Map<string, FeastDriver>();

function feastDriver(python: string): FeastDriver {
  const running = drivers.get(python);
  if (running) return running;
  const { FEAST_OIDC_TOKEN: _inherited, ...env } = process.env;
  const child = spawn(python, [DRIVER], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const driver: FeastDriver = { child, lines: [], wake: () => undefined, stderr: '', ended: undefined };
  createInterface({ input: child.stdout }).on('line', (line) => {
    driver.lines.push(line);
    driver.wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (driver.stderr = (driver.stderr + chunk.toString()).slice(-8000)));
  child.once('close', (code, signal) => {
    driver.ended = `exited with ${String(code ?? signal)}`;
    driver.wake();
  });
  drivers.set(python, driver);
  return driver;
}

async function nextLine(driver: FeastDriver): Promise<string> {
  for (;;) {
    const line = driver.lines.shift();
    if (line !== undefined) return line;
    if (driver.ended !== undefined) assert.fail(`the Feast driver ${driver.ended}:\n${driver.stderr.slice(-4000)}`);
    await new Promise<void>((resolve) => (driver.wake = resolve));
  }
}

/** Runs the calls through Feast's client (a repository of their own, in the driver of that Python), answers by call name. */
async function feast(
  python: string,
  calls: readonly Call[],
  server: { readonly url: string; readonly token?: string } = { url },
): Promise<Map<string, Answer>> {
  const repo = await mkdtemp(path.join(scratch, 'feast-repo-'));
  const driver = feastDriver(python);
  const auth = server.token === undefined ? 'no_auth' : 'oidc';
  driver.child.stdin.write(`${JSON.stringify({ repo, url: server.url, auth, token: server.token ?? null, calls })}\n`);
  const output: string[] = [];
  const answers: Answer[] = [];
  for (;;) {
    const line = await nextLine(driver);
    output.push(line);
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Answer | { done: true };
    if ('done' in parsed) break;
    answers.push(parsed);
  }
  assert.equal(answers.length, calls.length, `answers:\n${output.join('\n')}\n${driver.stderr.slice(-2000)}`);
  return new Map(answers.map((answer) => [answer.name, answer]));
}

/** What Floe's library answers for a get call, as Feast's to_dict(): keys first, then features (null unless PRESENT). */
async function expected(call: Extract<Call, { op: 'get' }>): Promise<Record<string, unknown[]>> {
  await store.refresh();
  const response = await store.getOnlineFeatures(
    call.feature_service !== undefined
      ? { featureService: call.feature_service, entityRows: call.entity_rows }
      : { features: call.features!, entityRows: call.entity_rows },
  );
  const dict: Record<string, unknown[]> = {};
  for (const entity of response.entities) dict[entity.name] = entity.values.map(plain);
  for (const feature of response.features)
    dict[call.full_feature_names === true ? `${feature.featureView}__${feature.feature}` : feature.feature] = feature.values.map(
      (value, index) => (feature.statuses[index] === 'PRESENT' ? plain(value) : null),
    );
  return dict;
}

/** How many rows the live view's online table holds per driver, as pyiceberg reads it. */
async function liveRows(): Promise<Map<number, number>> {
  const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
    catalog: sqliteCatalog(scratch),
    identifier: `floe_online.${LIVE_VIEW}`,
  });
  const counts = new Map<number, number>();
  for (const row of read.rows) counts.set(Number(row.driver_id), (counts.get(Number(row.driver_id)) ?? 0) + 1);
  return counts;
}

function plain(value: OnlineValue): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

const READS: Extract<Call, { op: 'get' }>[] = [
  {
    name: 'plain view: present, TTL-expired, corrected and missing entities',
    op: 'get',
    features: [`${VIEW}:conv_rate`, `${VIEW}:trips`],
    entity_rows: [{ driver_id: 1001 }, { driver_id: 1002 }, { driver_id: 1003 }, { driver_id: 4242 }],
  },
  {
    name: 'full feature names',
    op: 'get',
    features: [`${VIEW}:conv_rate`, `${VIEW}:trips`],
    entity_rows: [{ driver_id: 1001 }, { driver_id: 1003 }],
    full_feature_names: true,
  },
  { name: 'feature service', op: 'get', feature_service: 'driver_trips_model', entity_rows: [{ driver_id: 1001 }, { driver_id: 4242 }] },
  {
    name: 'composite keys, one missing',
    op: 'get',
    features: [`${CITY_VIEW}:rides`, `${CITY_VIEW}:rating`],
    entity_rows: [
      { driver_id: 1001, city: 'ams' },
      { driver_id: 1001, city: 'rtm' },
      { driver_id: 1002, city: 'ams' },
      { driver_id: 1002, city: 'rtm' },
    ],
  },
  {
    name: 'two views in one call',
    op: 'get',
    features: [`${VIEW}:trips`, `${CITY_VIEW}:rides`],
    entity_rows: [
      { driver_id: 1001, city: 'ams' },
      { driver_id: 1002, city: 'rtm' },
    ],
  },
];

function writeAndPush(drivers: { written: number[]; pushed: number[] }): Call[] {
  const at = (driver: number) => new Date(CLOCK - HOUR + driver).toISOString();
  return [
    {
      name: 'write_to_online_store',
      op: 'write',
      feature_view_name: LIVE_VIEW,
      df: {
        driver_id: drivers.written,
        conv_rate: drivers.written.map((driver) => driver / 8),
        trips: drivers.written.map((driver) => driver % 10),
        event_timestamp: drivers.written.map(at),
        created: drivers.written.map(at),
      },
    },
    {
      name: 'read after write_to_online_store',
      op: 'get',
      features: [`${LIVE_VIEW}:conv_rate`, `${LIVE_VIEW}:trips`],
      entity_rows: [...drivers.written, 9999].map((driver) => ({ driver_id: driver })),
    },
    {
      name: 'push',
      op: 'push',
      push_source_name: 'driver_push',
      df: {
        driver_id: drivers.pushed,
        conv_rate: drivers.pushed.map((driver) => driver / 8),
        trips: drivers.pushed.map((driver) => driver % 10),
        event_timestamp: drivers.pushed.map(at),
        created: drivers.pushed.map(at),
      },
    },
    {
      name: 'read after push',
      op: 'get',
      features: [`${LIVE_VIEW}:conv_rate`, `${LIVE_VIEW}:trips`],
      entity_rows: drivers.pushed.map((driver) => ({ driver_id: driver })),
    },
  ];
}

describe("Feast 0.67's client (one request per call)", () => {
  test('get_online_features answers what OnlineStore.getOnlineFeatures answers, for every kind of read', async () => {
    seen.length = 0;
    const answers = await feast(pythonOracle().python, READS);
    // One request per call, with the keys Feast sends since 0.64.
    assert.equal(seen.length, READS.length);
    for (const request of seen) {
      assert.equal(request.contentType, 'application/json');
      assert.ok(request.keys.includes('include_feature_view_version_metadata'), request.keys.join());
    }
    for (const call of READS) {
      const answer = answers.get(call.name)!;
      assert.ok(answer.ok, `${call.name}: ${answer.error}`);
      assert.deepEqual(answer.result, await expected(call), call.name);
    }
    const plain = answers.get(READS[0]!.name)!.result!;
    assert.deepEqual(plain.conv_rate, [0.25, null, 0.375, null], 'expired and missing rows are None; the correction wins');
  });

  test('write_to_online_store and push land once and read back, in Feast and in Floe', async () => {
    const calls = writeAndPush({ written: [5001, 5002], pushed: [6001, 6002] });
    const answers = await feast(pythonOracle().python, calls);
    for (const call of calls) assert.ok(answers.get(call.name)!.ok, `${call.name}: ${answers.get(call.name)!.error}`);
    for (const call of calls.filter((item) => item.op === 'get')) {
      assert.deepEqual(answers.get(call.name)!.result, await expected(call), call.name);
    }
    assert.deepEqual(answers.get('read after write_to_online_store')!.result, {
      driver_id: [5001, 5002, 9999],
      conv_rate: [5001 / 8, 5002 / 8, null],
      trips: [1, 2, null],
    });
    assert.deepEqual(answers.get('read after push')!.result, { driver_id: [6001, 6002], conv_rate: [6001 / 8, 6002 / 8], trips: [1, 2] });
    const counts = await liveRows();
    for (const driver of [5001, 5002, 6001, 6002]) assert.equal(counts.get(driver), 1, `driver ${driver}`);
  });

  test("with server.auth, Feast's client reads, writes and pushes with its bearer token, and is refused without it", async () => {
    const securedUrl = await startServe(secured);
    const calls = writeAndPush({ written: [7001, 7002], pushed: [8001, 8002] });
    const answers = await feast(pythonOracle().python, calls, { url: securedUrl, token: TOKEN });
    for (const call of calls) assert.ok(answers.get(call.name)!.ok, `${call.name}: ${answers.get(call.name)!.error}`);
    for (const call of calls.filter((item) => item.op === 'get'))
      assert.deepEqual(answers.get(call.name)!.result, await expected(call), call.name);

    const refused = await feast(pythonOracle().python, [READS[0]!, calls[2]!], { url: securedUrl });
    for (const answer of refused.values()) {
      assert.equal(answer.ok, false, answer.name);
      assert.match(answer.error!, /401|credentials|token/i, answer.name);
    }
    const wrong = await feast(pythonOracle().python, [READS[0]!], { url: securedUrl, token: 'not-the-token' });
    assert.equal(wrong.get(READS[0]!.name)!.ok, false);
  });

  test("a Floe error reaches the caller as Feast's own exception, Floe's message kept", async () => {
    const at = new Date(CLOCK).toISOString();
    const answers = await feast(pythonOracle().python, [
      { name: 'unknown feature', op: 'get', features: [`${VIEW}:nope`], entity_rows: [{ driver_id: 1 }] },
      {
        name: 'unknown view',
        op: 'write',
        feature_view_name: 'feast_only_view',
        df: { driver_id: [1], x: [1], event_timestamp: [at], created: [at] },
      },
    ]);
    const feature = answers.get('unknown feature')!;
    assert.equal(feature.ok, false);
    assert.match(feature.error!, /^Feast\w*(Error|Exception): .*nope/);
    const view = answers.get('unknown view')!;
    assert.equal(view.ok, false);
    assert.match(view.error!, /^FeastObjectNotFoundException: .*feast_only_view/);
  });
});

describe("Feast 0.60's client (one request per view, only the first join key, no Content-Type)", () => {
  test('get_online_features answers what OnlineStore.getOnlineFeatures answers for single-key views', async () => {
    const calls = READS.filter((call) => !call.features?.some((feature) => feature.startsWith(CITY_VIEW)));
    seen.length = 0;
    const answers = await feast(oldFeastPython(), calls);
    // The older shape: one request per view, no Content-Type, only features and entities.
    assert.equal(seen.length, calls.length);
    for (const request of seen) {
      assert.equal(request.contentType, undefined);
      assert.deepEqual(request.keys, ['entities', 'features']);
    }
    for (const call of calls) {
      const answer = answers.get(call.name)!;
      assert.ok(answer.ok, `${call.name}: ${answer.error}`);
      assert.deepEqual(answer.result, await expected(call), call.name);
    }
  });

  test('write_to_online_store and push land once and read back', async () => {
    const calls = writeAndPush({ written: [7001, 7002], pushed: [8001, 8002] });
    const answers = await feast(oldFeastPython(), calls);
    for (const call of calls) assert.ok(answers.get(call.name)!.ok, `${call.name}: ${answers.get(call.name)!.error}`);
    for (const call of calls.filter((item) => item.op === 'get'))
      assert.deepEqual(answers.get(call.name)!.result, await expected(call), call.name);
  });

  test('a composite-key view: the old client sends only the first join key, and Floe names the one missing', async () => {
    const call = READS.find((item) => item.name === 'composite keys, one missing')!;
    seen.length = 0;
    const answer = (await feast(oldFeastPython(), [call])).get(call.name)!;
    assert.deepEqual(
      seen.map((request) => request.joinKeys),
      [['driver_id']],
    );
    assert.equal(answer.ok, false);
    assert.match(answer.error!, /join key city of feature view driver_city_view must be present/);
  });
});
