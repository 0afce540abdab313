// services: python
// Nested and JSON features through `floe serve`'s HTTP (issue #54 item 6): rows pushed with lists,
// maps and structs (/push, and /write-to-online-store) land in the source and online tables, and
// /get-online-features returns them in Feast's JSON shape: lists as arrays, maps and structs as
// objects, json as its text, a long past 2^53 inside a map with its exact digits. pyiceberg reads
// the source table's pushed row as the independent judge.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { definePushSource } from '../../../features/push-source.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import { testRuntime } from '../../support/runtime.js';
import { featuresModule, sqliteCatalogIn, writeSqlCatalogProject } from '../../support/cli-project.js';
import { BIG, createNestedSource, NESTED_FEATURES } from '../../support/features/nested-source.js';
import { startServe } from '../../support/push/push-servers.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { serverError } from '../../support/server-error.js';

const dir = scratchFolder('push-nested');
const SOURCE = 'rides.drivers';
const servers: ChildProcess[] = [];
let url: string;

/** A POST whose body is given as JSON text (so a long past 2^53 goes as its digits); the answer as text. */
async function postText(route: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, text: await response.text() };
}

/** The nested columns of one row as JSON text, for driver `driver` at `time` (in column `timeColumn`). */
function df(driver: number, time: string, name: string, timeColumn = 'ts'): string {
  return `{
    "driver_id": [${driver}], "${timeColumn}": [${JSON.stringify(time)}],
    "embedding": [[0.5, -1.25, ${driver}]], "scores": [[0.25, null]],
    "meta": [{"a": ${driver}, "big": ${BIG}}],
    "profile": [{"name": ${JSON.stringify(name)}, "age": 42}],
    "config": [${JSON.stringify(JSON.stringify({ tier: name, limits: [1, 2] }))}]
  }`;
}

describe('nested features through floe serve', () => {
  before(async () => {
    const catalog = sqliteCatalogIn(dir);
    const runtime = await testRuntime({
      directory: dir,
      catalog,
      definitions: [
        defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
        defineIcebergSource({ name: 'drivers', table: SOURCE, timestampField: 'ts' }),
        definePushSource({ name: 'driver_push', batchSource: 'drivers' }),
        defineFeatureView({ name: 'profiles', entities: ['driver'], source: 'driver_push', features: NESTED_FEATURES }),
      ],
    });
    try {
      await createNestedSource({
        catalog: runtime.catalog,
        engine: runtime.engine,
        identifier: SOURCE,
        workDirectory: path.join(dir, 'work'),
      });
    } finally {
      await runtime.close();
    }
    await writeSqlCatalogProject(dir, {
      project: 'push_nested',
      catalog,
      features: `import { defineEntity, defineFeatureView, defineIcebergSource } from ${featuresModule('definitions.ts')};
import { definePushSource } from ${featuresModule('push-source.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const source = defineIcebergSource({ name: 'drivers', table: ${JSON.stringify(SOURCE)}, timestampField: 'ts' });
export const push = definePushSource({ name: 'driver_push', batchSource: 'drivers' });
export const view = defineFeatureView({
  name: 'profiles',
  entities: ['driver'],
  source: 'driver_push',
  features: ${JSON.stringify(NESTED_FEATURES)},
  online: { buckets: 2 },
});
`,
      yaml: 'push:\n  maxDelayMs: 50\n',
    });
    url = (await startServe(dir, servers)).url;
  });
  after(() => {
    for (const server of servers) server.kill('SIGKILL');
  });

  it('pushes and writes lists, maps, structs and json, and serves them in Feast’s shape with exact longs', async () => {
    const pushed = await postText(
      '/push',
      `{"push_source_name": "driver_push", "to": "online_and_offline", "df": ${df(7001, '2024-05-01T00:00:00Z', 'pushed')}}`,
    );
    assert.equal(pushed.status, 200, pushed.text);
    // The online table's own columns: its event time is event_timestamp.
    const written = await postText(
      '/write-to-online-store',
      `{"feature_view_name": "profiles", "df": ${df(7002, '2024-05-01T00:00:00Z', 'written', 'event_timestamp')}}`,
    );
    assert.equal(written.status, 200, written.text);

    const read = await postText(
      '/get-online-features',
      JSON.stringify({
        features: ['profiles:embedding', 'profiles:scores', 'profiles:meta', 'profiles:profile', 'profiles:config'],
        entities: { driver_id: [7001, 7002, 7003] },
      }),
    );
    assert.equal(read.status, 200, read.text);
    assert.match(read.text, /"big":9007199254740993\b/, 'the long inside the map keeps its digits');
    const json = JSON.parse(read.text.replaceAll(`${BIG}`, `"${BIG}"`)) as {
      metadata: { feature_names: string[] };
      results: { values: unknown[]; statuses: string[] }[];
    };
    const byName = Object.fromEntries(json.metadata.feature_names.map((name, index) => [name, json.results[index]!]));
    assert.deepEqual(byName['embedding']!.values, [[0.5, -1.25, 7001], [0.5, -1.25, 7002], null]);
    assert.deepEqual(byName['scores']!.values, [[0.25, null], [0.25, null], null]);
    assert.deepEqual(byName['meta']!.values, [{ a: 7001, big: `${BIG}` }, { a: 7002, big: `${BIG}` }, null]);
    assert.deepEqual(byName['profile']!.values, [{ name: 'pushed', age: 42 }, { name: 'written', age: 42 }, null]);
    assert.deepEqual(byName['config']!.values, ['{"tier":"pushed","limits":[1,2]}', '{"tier":"written","limits":[1,2]}', null]);
    assert.deepEqual(byName['profile']!.statuses, ['PRESENT', 'PRESENT', 'NOT_FOUND']);

    // A wrong value inside is refused naming where.
    const refused = await postText(
      '/push',
      `{"push_source_name": "driver_push", "to": "online", "df": {"driver_id": [7004], "ts": ["2024-05-01T00:00:00Z"], "meta": [{"a": "x"}]}}`,
    );
    assert.equal(refused.status, 400, refused.text);
    assert.match(serverError(refused.text).message, /row 0, column meta: \["a"\]: expected an integer \(long\), got string "x"/);

    const source = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: sqliteCatalog(dir),
      identifier: SOURCE,
      row_filter: 'driver_id = 7001',
    });
    assert.deepEqual(
      source.rows.map((row) => [row['embedding'], row['meta'], row['profile']]),
      [
        [
          [0.5, -1.25, 7001],
          [
            { key: 'a', value: '7001' },
            { key: 'big', value: `${BIG}` },
          ],
          { name: 'pushed', age: 42 },
        ],
      ],
    );
  });
});
