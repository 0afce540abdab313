// The stream metrics (issue #43: lag per partition, rows/s, commit latency): a consumer's batches
// counted by stream, commit latency as a histogram, lag per partition read on scrape, several
// consumers on one registry, and the registry served on GET /metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { StreamBatchProgress, StreamConsumer, StreamObserver } from '../../../../features/stream/stream-consumer.js';
import { serveStreamMetrics, streamMetrics } from '../../../../features/stream/stream-metrics.js';

/** A consumer as streamMetrics sees it: its name, its observers and its lag. */
function fakeConsumer(name: string, lag: () => Promise<Map<number, bigint>>) {
  const observers = new Set<StreamObserver>();
  const consumer = {
    name,
    lag,
    observe: (observer: StreamObserver) => {
      observers.add(observer);
      return () => void observers.delete(observer);
    },
  };
  const batch = (progress: Partial<StreamBatchProgress>) =>
    observers.forEach((observer) =>
      observer.batch?.({
        read: 0,
        messages: 0,
        rows: 0,
        deadLetters: 0,
        late: new Map(),
        commitMs: 0,
        ends: new Map(),
        tables: [],
        ...progress,
      }),
    );
  const fail = () => observers.forEach((observer) => observer.commitFailed?.(new Error('no')));
  return { consumer: consumer as unknown as StreamConsumer, batch, fail, observers };
}

async function values(registry: Registry, name: string): Promise<{ labels: Record<string, unknown>; value: number }[]> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, name);
  return (await metric.get()).values.map(({ labels, value }) => ({ labels: { ...labels }, value }));
}

test("a consumer's batches counted by stream; commit seconds; last end offsets; failures; lag on scrape", async () => {
  let lag = new Map([
    [0, 5n],
    [1, 0n],
  ]);
  const { consumer, batch, fail, observers } = fakeConsumer('rides', () => Promise.resolve(lag));
  const metrics = streamMetrics(consumer);
  assert.deepEqual(await values(metrics.registry, 'floe_stream_rows_total'), [{ labels: { stream: 'rides' }, value: 0 }]);
  batch({ messages: 10, rows: 8, deadLetters: 2, commitMs: 120, ends: new Map([[0, 7n]]) });
  batch({ messages: 5, rows: 5, deadLetters: 0, late: new Map([['trip_windows', 3]]), commitMs: 30, ends: new Map([[1, 9n]]) });
  fail();
  const single = async (name: string) => (await values(metrics.registry, name)).map(({ value }) => value);
  assert.deepEqual(await single('floe_stream_messages_total'), [15]);
  assert.deepEqual(await single('floe_stream_rows_total'), [13]);
  assert.deepEqual(await single('floe_stream_dead_letters_total'), [2]);
  assert.deepEqual(await single('floe_stream_batches_total'), [2]);
  assert.deepEqual(await single('floe_stream_commit_failures_total'), [1]);
  assert.deepEqual(await values(metrics.registry, 'floe_stream_late_events_total'), [
    { labels: { stream: 'rides', feature_view: 'trip_windows' }, value: 3 },
  ]);
  const text = await metrics.registry.metrics();
  assert.match(text, /floe_stream_commit_seconds_count\{stream="rides"\} 2/);
  assert.match(text, /floe_stream_commit_seconds_sum\{stream="rides"\} 0\.15/);
  assert.match(text, /floe_stream_commit_seconds_bucket\{le="0\.05",stream="rides"\} 1/);
  assert.deepEqual(await values(metrics.registry, 'floe_stream_last_batch_end_offset'), [
    { labels: { stream: 'rides', partition: '0' }, value: 7 },
    { labels: { stream: 'rides', partition: '1' }, value: 9 },
  ]);
  assert.deepEqual(await values(metrics.registry, 'floe_stream_lag_messages'), [
    { labels: { stream: 'rides', partition: '0' }, value: 5 },
    { labels: { stream: 'rides', partition: '1' }, value: 0 },
  ]);
  lag = new Map([[0, 0n]]); // partition 1 moved to another member
  assert.deepEqual(await values(metrics.registry, 'floe_stream_lag_messages'), [{ labels: { stream: 'rides', partition: '0' }, value: 0 }]);
  metrics.close();
  assert.equal(observers.size, 0);
  assert.deepEqual(await values(metrics.registry, 'floe_stream_lag_messages'), []);
});

test('two streams share a registry; a broker that does not answer keeps the last lag read', async () => {
  const registry = new Registry();
  let answering = true;
  const a = fakeConsumer('a', () => (answering ? Promise.resolve(new Map([[0, 3n]])) : Promise.reject(new Error('down'))));
  const b = fakeConsumer('b', () => Promise.resolve(new Map([[2, 1n]])));
  streamMetrics(a.consumer, registry);
  streamMetrics(b.consumer, registry);
  a.batch({ rows: 4, messages: 4 });
  b.batch({ rows: 1, messages: 1 });
  assert.deepEqual(await values(registry, 'floe_stream_rows_total'), [
    { labels: { stream: 'a' }, value: 4 },
    { labels: { stream: 'b' }, value: 1 },
  ]);
  await registry.metrics();
  answering = false;
  assert.deepEqual(await values(registry, 'floe_stream_lag_messages'), [
    { labels: { stream: 'a', partition: '0' }, value: 3 },
    { labels: { stream: 'b', partition: '2' }, value: 1 },
  ]);
});

test('served on GET /metrics (port 0: a free one); other paths 404; a port in use is refused as bad input', async () => {
  const { consumer, batch } = fakeConsumer('rides', () => Promise.resolve(new Map()));
  const { registry } = streamMetrics(consumer);
  batch({ rows: 3, messages: 3 });
  const server = await serveStreamMetrics(registry, { host: '127.0.0.1', port: 0 });
  try {
    assert.ok(server.port > 0);
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    assert.match(await response.text(), /floe_stream_rows_total\{stream="rides"\} 3/);
    assert.equal((await fetch(server.url.replace('/metrics', '/other'))).status, 404);
    await assert.rejects(serveStreamMetrics(registry, { host: '127.0.0.1', port: server.port }), (error: unknown) => {
      assert.match(String(error), /Cannot serve stream metrics on 127\.0\.0\.1:\d+: .*EADDRINUSE.*--metrics-port/);
      assert.equal((error as { kind?: string }).kind, 'invalid-input');
      return true;
    });
  } finally {
    await server.close();
  }
});
