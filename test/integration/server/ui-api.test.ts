// services: none
// The web UI's JSON routes (issue #57) over a real SQLite catalog with materialized online tables:
// nothing without a token once server.auth is set, 403 for a token that may not read; the catalog
// lists every kind of definition with its lineage, search by name, tag and owner; freshness
// measured at a pinned clock marks the stale views; a token that may read one view sees only it
// and what feeds it; and the server `floe serve` and `floe dev` build serves the UI too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isoMillis } from '../../../contracts/instants.js';
import { projectFeatureServer } from '../../../cli/project-feature-server.js';
import { serverError } from '../../support/server-error.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import type { UiServer } from '../../support/ui/ui-project.js';
import { DEAD_LETTER_TABLE, NOW, SOURCE_TABLE, startUiServer, STREAM_OFFSETS, UI_TOKENS, WATERMARK } from '../../support/ui/ui-project.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';

const scratch = scratchFolder('ui-api');
let ui: UiServer;

before(async () => {
  ui = await startUiServer(scratch);
});

after(async () => {
  await ui?.close();
});

async function get(route: string, token?: string): Promise<{ status: number; json: unknown; headers: Headers; text: string }> {
  const response = await fetch(`${ui.url}${route}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, headers: response.headers, text };
}

interface Item {
  name: string;
  node: string;
  type?: string;
  owner: string | null;
  tags: Record<string, string>;
  definition: Record<string, unknown>;
}
interface CatalogAnswer {
  project: string;
  entities: Item[];
  sources: Item[];
  featureViews: Item[];
  featureServices: Item[];
  lineage: { nodes: { id: string; kind: string; column: number; row: number }[]; edges: { from: string; to: string }[] };
  matches: string[] | null;
}

const names = (items: Item[]): string[] => items.map((item) => item.name);

describe('the web UI behind server.auth', () => {
  test('every data route answers 401 without a token and 403 to a token that may not read; the page itself holds no project data', async () => {
    for (const route of ['/ui/api/catalog', '/ui/api/catalog?q=driver', '/ui/api/freshness', '/ui/api/whoami']) {
      const missing = await get(route);
      assert.equal(missing.status, 401, route);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="floe"');
      assert.equal((await get(route, 'not-a-token')).status, 401, route);
      const refused = await get(route, UI_TOKENS.nothing);
      assert.equal(refused.status, 403, route);
      assert.equal(serverError(refused.json).message, 'nothing may not read, which the web UI needs');
    }
    const page = await get('/ui/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(page.text, /driver|rides/);
    assert.equal((await get('/ui/assets/app.js')).status, 200);
    assert.equal((await get('/ui/assets/nothing.js')).status, 404);
    const redirect = await fetch(`${ui.url}/ui`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/ui/');
  });

  test('the catalog lists every kind with its definition, and the lineage runs from the source table to the feature service', async () => {
    const { status, json, headers } = await get('/ui/api/catalog', UI_TOKENS.admin);
    assert.equal(status, 200);
    assert.equal(headers.get('cache-control'), 'no-store');
    const catalog = json as CatalogAnswer;
    assert.equal(catalog.project, 'rides');
    assert.equal(catalog.matches, null);
    assert.deepEqual(names(catalog.entities), ['driver']);
    assert.deepEqual(
      catalog.sources.map((source) => [source.name, source.type]),
      [
        ['driver_source', 'iceberg'],
        ['driver_push', 'push'],
        ['driver_stream', 'stream'],
        ['ride_request', 'request'],
      ],
    );
    assert.deepEqual(
      catalog.featureViews.map((view) => [view.name, view.type]),
      [
        ['driver_hourly', 'plain'],
        ['driver_live', 'plain'],
        ['driver_quick', 'plain'],
        ['driver_trip_totals', 'aggregated'],
        ['ride_score', 'onDemand'],
      ],
    );
    assert.deepEqual(names(catalog.featureServices), ['eta_model']);
    const hourly = catalog.featureViews.find((view) => view.name === 'driver_hourly')!;
    assert.equal(hourly.owner, 'alice@rides');
    assert.deepEqual(hourly.tags, { team: 'rides', tier: 'gold' });
    assert.deepEqual(hourly.definition.schedule, { every: { hours: 1 }, catchupWindow: { days: 1 }, overlap: 'bufferAll', paused: false });
    const score = catalog.featureViews.find((view) => view.name === 'ride_score')!;
    assert.match(String(score.definition.computeHash), /^[0-9a-f]{64}$/);
    assert.equal(score.definition.compute, undefined);
    assert.deepEqual(
      catalog.lineage.edges.map(({ from, to }) => `${from} → ${to}`),
      [
        'iceberg:driver_source → view:driver_hourly',
        'iceberg:driver_source → view:driver_live',
        'iceberg:driver_source → view:driver_quick',
        'iceberg:driver_source → view:driver_trip_totals',
        'push:driver_push → iceberg:driver_source',
        'push:driver_push → view:driver_live',
        'request:ride_request → view:ride_score',
        'stream:driver_stream → push:driver_push',
        'table:rides.driver_stats → iceberg:driver_source',
        'view:driver_hourly → service:eta_model',
        'view:driver_hourly → view:ride_score',
        'view:ride_score → service:eta_model',
      ],
    );
    // Columns by depth; rows ordered so that edges cross little (ties by name).
    assert.deepEqual(
      catalog.lineage.nodes.map((node) => `${node.id} ${node.column},${node.row}`),
      [
        'stream:driver_stream 0,0',
        'request:ride_request 0,1',
        'table:rides.driver_stats 0,2',
        'push:driver_push 1,0',
        'iceberg:driver_source 2,0',
        'view:driver_hourly 3,0',
        'view:driver_live 3,1',
        'view:driver_quick 3,2',
        'view:driver_trip_totals 3,3',
        'view:ride_score 4,0',
        'service:eta_model 5,0',
      ],
    );
  });

  test('search matches names and descriptions, tags (with or without a value) and owners, every term at once', async () => {
    const search = async (query: string): Promise<CatalogAnswer> => {
      const { status, json } = await get(`/ui/api/catalog?q=${encodeURIComponent(query)}`, UI_TOKENS.admin);
      assert.equal(status, 200, query);
      return json as CatalogAnswer;
    };
    const found = (catalog: CatalogAnswer): string[] => [
      ...names(catalog.entities),
      ...names(catalog.sources),
      ...names(catalog.featureViews),
      ...names(catalog.featureServices),
    ];
    assert.deepEqual(found(await search('owner:ALICE')), ['driver_hourly', 'eta_model']);
    assert.deepEqual(found(await search('tag:tier=gold')), ['driver_hourly']);
    assert.deepEqual(found(await search('tag:team')), ['driver', 'driver_source', 'driver_hourly', 'driver_trip_totals']);
    assert.deepEqual(found(await search('tag:team=finance')), ['driver_trip_totals']);
    assert.deepEqual(found(await search('hourly statistics')), ['driver_hourly']);
    assert.deepEqual(found(await search('driver owner:bob')), ['driver_quick']);
    assert.deepEqual(found(await search('no_such_thing')), []);
    const matched = await search('ride_');
    assert.deepEqual(matched.matches, ['request:ride_request', 'view:ride_score']);
    assert.equal(matched.lineage.nodes.length, 11, 'the graph keeps every node; matches says which stand out');
  });

  test('freshness at the pinned clock: the hourly view is fresh, the 10-minute one and the never materialized one are stale', async () => {
    const { status, json } = await get('/ui/api/freshness', UI_TOKENS.admin);
    assert.equal(status, 200);
    const report = json as { now: string; views: Record<string, unknown>[] };
    assert.equal(report.now, isoMillis(NOW));
    const lastCommits = report.views.map((view) => view.lastCommit);
    const rows = report.views.map(({ lastCommit: _lastCommit, ...view }) => view);
    const watermark = isoMillis(WATERMARK);
    assert.deepEqual(rows, [
      row('driver_live', 'stale', 'every 1h', 3600, null, null),
      row('driver_quick', 'stale', 'every 10m', 600, watermark, 1800),
      row('driver_hourly', 'fresh', 'every 1h', 3600, watermark, 1800),
      row('driver_trip_totals', 'unscheduled', null, null, null, null),
    ]);
    assert.equal(lastCommits[0], null, 'driver_live has no table yet');
    // The stream: the offsets its last batch reached, when that batch was committed (not the later
    // commit of another writer), and its dead letters.
    const source = await ui.runtime.catalog.loadTable(parseTableIdentifier(SOURCE_TABLE));
    const batch = source.metadata.snapshots.find((snapshot) => snapshot.summary['floe.stream.driver_stream.offsets'] === STREAM_OFFSETS)!;
    assert.notEqual(source.metadata.currentSnapshotId, batch.snapshotId);
    const previous = source.metadata.snapshots.find((snapshot) => snapshot.snapshotId === batch.parentSnapshotId)!;
    // Its broker (127.0.0.1:9092) does not answer: the lag is unknown, with the reason, and the page still answers.
    const [stream] = (json as { streams: { lagUnknown: unknown }[] }).streams;
    assert.match(String(stream?.lagUnknown), /\S/);
    assert.deepEqual((json as { streams: unknown }).streams, [
      {
        stream: 'driver_stream',
        topic: 'drivers',
        table: SOURCE_TABLE,
        deadLetterTable: DEAD_LETTER_TABLE,
        partitions: [
          { partition: 0, nextOffset: '15', endOffset: null, lag: null },
          { partition: 1, nextOffset: '7', endOffset: null, lag: null },
        ],
        lastCommit: isoMillis(batch.timestampMs),
        // Two batches of one row each: the later one's row over the time between their commits.
        rowsPerSecond: 1 / ((batch.timestampMs - previous.timestampMs) / 1000),
        deadLetters: 2,
        lagUnknown: stream?.lagUnknown,
      },
    ]);
    for (const commit of lastCommits.slice(1, 3)) assert.match(String(commit), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('a token that may read one view sees that view, what feeds it, and nothing else', async () => {
    const catalog = (await get('/ui/api/catalog', UI_TOKENS.liveReader)).json as CatalogAnswer;
    assert.deepEqual(names(catalog.featureViews), ['driver_live']);
    assert.deepEqual(names(catalog.featureServices), []);
    assert.deepEqual(names(catalog.sources), ['driver_source', 'driver_push', 'driver_stream']);
    assert.deepEqual(names(catalog.entities), ['driver']);
    assert.deepEqual(
      catalog.lineage.nodes.map((node) => node.id),
      ['stream:driver_stream', 'table:rides.driver_stats', 'push:driver_push', 'iceberg:driver_source', 'view:driver_live'],
    );
    const freshness = (await get('/ui/api/freshness', UI_TOKENS.liveReader)).json as {
      views: { featureView: string }[];
      streams: { stream: string }[];
    };
    assert.deepEqual(
      freshness.views.map((view) => view.featureView),
      ['driver_live'],
    );
    assert.deepEqual(
      freshness.streams.map((stream) => stream.stream),
      ['driver_stream'],
    );
    assert.deepEqual((await get('/ui/api/whoami', UI_TOKENS.liveReader)).json, {
      project: 'rides',
      caller: 'live-reader',
      mayMaterialize: false,
    });
  });
});

test("the feature server floe serve and floe dev build serves the UI with the project's registry", async () => {
  const server = await projectFeatureServer(ui.runtime);
  try {
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    const whoami = await fetch(`${url}/ui/api/whoami`);
    // Without server.auth anyone may act, as on POST /materialize: it has a Temporal client to start compactions with.
    assert.deepEqual(await whoami.json(), { project: 'test', caller: null, mayMaterialize: true });
    const tables = (await (await fetch(`${url}/ui/api/tables`)).json()) as { tables: { table: string }[] };
    assert.ok(
      tables.tables.some((table) => table.table === 'floe_monitoring.consistency'),
      "floe.yaml's consistency table is listed",
    );
    const catalog = (await (await fetch(`${url}/ui/api/catalog`)).json()) as CatalogAnswer;
    assert.equal(catalog.featureViews.length, 5);
    const page = await fetch(`${url}/ui/`);
    assert.equal(page.status, 200);
  } finally {
    await server.close();
  }
});

function row(
  featureView: string,
  status: string,
  schedule: string | null,
  cadenceSeconds: number | null,
  watermark: string | null,
  ageSeconds: number | null,
): Record<string, unknown> {
  return {
    featureView,
    status,
    schedule,
    cadenceSeconds,
    delaySeconds: 0,
    staleAfterSeconds: cadenceSeconds === null ? null : 2 * cadenceSeconds,
    watermark,
    ageSeconds,
  };
}
