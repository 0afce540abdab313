// services: kafka
// The freshness page's plot and stream lag (issue #57) over a real SQLite catalog and the real
// broker: a view materialized at pinned windows has one point per materialization commit, its
// watermark the window's end and its freshness the commit's time minus it; a stream source's lag
// per partition is the topic's end offsets (messages produced to it) minus the offsets its table
// took, with the rows per second its batches landed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { isoMillis } from '../../../contracts/instants.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { WINDOW_END_PROPERTY } from '../../../features/online-table/table-state.js';
import { createTopics, endsOf, produceValues } from '../../support/kafka-stream.js';
import { featureContext } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';
import type { UiServer } from '../../support/ui/ui-project.js';
import { startUiServer, UI_TOKENS, WATERMARK } from '../../support/ui/ui-project.js';

const MINUTE = 60_000;
const topic = `ui-lag-${randomUUID()}`;
let ui: UiServer;

before(async () => {
  await createTopics([topic]);
  ui = await startUiServer(scratchFolder('ui-freshness'), { kafka: { brokers: kafkaBrokers(), topic } });
});

after(async () => {
  await ui?.close();
});

async function get(route: string, token?: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${ui.url}${route}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, json: await response.json() };
}

test('the freshness history of a view has a point per materialization commit: commit time − watermark', async () => {
  // driver_quick was materialized up to WATERMARK; two more 10-minute windows follow it.
  const context = featureContext(ui.runtime);
  for (const start of [WATERMARK, WATERMARK + 10 * MINUTE])
    await materializeWindow(context, 'driver_quick', { start: new Date(start), end: new Date(start + 10 * MINUTE) }, `ui-quick-${start}`);
  const { status, json } = await get('/ui/api/freshness/driver_quick/history', UI_TOKENS.admin);
  assert.equal(status, 200);
  const table = await ui.runtime.catalog.loadTable(
    ui.runtime.project.registry.onlineTableOf(ui.runtime.project.registry.featureView('driver_quick')),
  );
  const commits = table.metadata.snapshots
    .filter((snapshot) => snapshot.summary[WINDOW_END_PROPERTY] !== undefined)
    .map((snapshot) => snapshot.timestampMs)
    .sort((a, b) => a - b);
  const watermarks = [WATERMARK, WATERMARK + 10 * MINUTE, WATERMARK + 20 * MINUTE];
  assert.equal(commits.length, 3);
  assert.deepEqual(json, {
    featureView: 'driver_quick',
    table: 'floe_online.driver_quick',
    points: commits.map((commit, index) => ({
      commit: isoMillis(commit),
      watermark: isoMillis(watermarks[index]!),
      freshnessSeconds: (commit - watermarks[index]!) / 1000,
    })),
  });
  // A view never materialized has no points; one the caller may not see is not found, as without a token.
  assert.deepEqual((await get('/ui/api/freshness/driver_live/history', UI_TOKENS.admin)).json, {
    featureView: 'driver_live',
    table: 'floe_online.driver_live',
    points: [],
  });
  assert.equal((await get('/ui/api/freshness/driver_quick/history', UI_TOKENS.liveReader)).status, 404);
  assert.equal((await get('/ui/api/freshness/driver_quick/history')).status, 401);
});

test("a stream source's lag per partition is the topic's end minus what its table took", async () => {
  const placed = await produceValues(
    topic,
    Array.from({ length: 40 }, (_, seq) => JSON.stringify({ seq })),
  );
  const ends = endsOf(placed);
  const { status, json } = await get('/ui/api/freshness', UI_TOKENS.admin);
  assert.equal(status, 200);
  const [stream] = (json as { streams: Record<string, unknown>[] }).streams;
  // The table took partition 0 up to 15 and partition 1 up to 7 (ui-project's stream batches), nothing of partition 2.
  const taken = new Map([
    [0, 15n],
    [1, 7n],
  ]);
  assert.equal(stream?.lagUnknown, null);
  assert.deepEqual(
    stream?.partitions,
    [0, 1, 2].map((partition) => {
      const end = ends.get(partition) ?? 0n;
      const next = taken.get(partition);
      return {
        partition,
        nextOffset: next === undefined ? null : next.toString(),
        endOffset: end.toString(),
        lag: (end - (next ?? 0n)).toString(),
      };
    }),
  );
  assert.ok(typeof stream?.rowsPerSecond === 'number' && stream.rowsPerSecond > 0);
});
