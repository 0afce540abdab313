// services: python, kafka
// `floe stream --metrics-port 0` on the real broker (issue #43: lag per partition, rows/s, commit
// latency): it prints the port it bound, GET /metrics answers Prometheus text whose counters equal
// what landed (pyiceberg reads the tables) and whose lag reaches 0 per partition; a second
// consumer asking for the same port is refused as bad input (exit 2).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { exitCode, interrupt, spawnCollecting, until } from '../../support/child-process.js';
import { featuresModule, sqliteCatalogIn, writeSqlCatalogProject } from '../../support/cli-project.js';
import { checkLanded, createTopics, endsOf, produceValues, readTable, streamEvent } from '../../support/kafka-stream.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const floe = path.join(root, 'bin', 'floe.js');
const dir = scratchFolder('stream-metrics');
const topic = `floe-stream-metrics-${randomUUID()}`;
const tables = { sourceTable: 'rides.stats_metrics', onlineTable: 'floe_online.live_metrics' };
const children: ChildProcess[] = [];

before(async () => {
  const catalog = sqliteCatalogIn(dir);
  const runtime = await testRuntime({ directory: dir, catalog, definitions: [] });
  await createEmptySourceTable(runtime.catalog, tables.sourceTable);
  await runtime.close();
  await writeSqlCatalogProject(dir, {
    project: 'stream_metrics_test',
    catalog,
    features: `import { defineEntity, defineFeatureView, defineIcebergSource } from ${featuresModule('definitions.ts')};
import { definePushSource } from ${featuresModule('push-source.ts')};
import { defineStreamSource } from ${featuresModule('stream-source.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
export const source = defineIcebergSource({ name: 'source_metrics', table: ${JSON.stringify(tables.sourceTable)}, timestampField: 'event_timestamp' });
export const push = definePushSource({ name: 'push_metrics', batchSource: 'source_metrics' });
export const stream = defineStreamSource({ name: 'stream_metrics', pushSource: 'push_metrics', kafka: { brokers: ['127.0.0.1:1'], topic: ${JSON.stringify(topic)} }, timestampField: 'ts' });
export const view = defineFeatureView({
  name: 'live_metrics',
  entities: ['driver'],
  source: 'push_metrics',
  features: [{ name: 'conv_rate', type: 'double' }, { name: 'trips', type: 'long' }],
  online: { buckets: 4 },
});
`,
  });
  await createTopics([topic]);
});

after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** `floe stream --json` with the options, its output lines collected in `lines`. */
function startStream(lines: string[], more: readonly string[]): ChildProcess {
  const args = ['stream', 'stream_metrics', '--project', dir, '--brokers', kafkaBrokers().join(','), '--json', ...more];
  const child = spawnCollecting(process.execPath, [floe, ...args], lines);
  children.push(child);
  return child;
}

const events = (lines: readonly string[], event: string) =>
  lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.event === event);

/** A Prometheus text's samples: name, labels, value. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const [, name, labels = '', value] = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line)!;
      return {
        name: name!,
        labels: Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map(([, key, text]) => [key!, text!])),
        value: Number(value),
      };
    });
}

test('floe stream --metrics-port 0: the counters equal what landed, commit latency per batch, lag 0 per partition', async () => {
  const total = 1_200;
  const values = Array.from({ length: total }, (_, seq) => JSON.stringify(streamEvent(seq)));
  values[10] = '{not json';
  values[900] = JSON.stringify({ ...streamEvent(900), driver_id: 'x' });
  const bad = new Set([10, 900]);
  const ends = endsOf(await produceValues(topic, values));

  const lines: string[] = [];
  const child = startStream(lines, ['--max-rows', '150', '--max-delay-ms', '100', '--metrics-port', '0']);
  await until('the bound metrics port printed', lines, () => events(lines, 'metrics').length > 0);
  const { url, port } = events(lines, 'metrics')[0] as { url: string; port: number };
  assert.ok(port > 0);
  assert.equal(url, `http://127.0.0.1:${port}/metrics`);

  let scraped: ReturnType<typeof samples> = [];
  const value = (name: string, labels: Record<string, string> = {}) =>
    scraped.find((sample) => sample.name === name && Object.entries(labels).every(([key, text]) => sample.labels[key] === text))?.value;
  await until('the metrics show every message landed and no lag', lines, async () => {
    scraped = samples(await (await fetch(url)).text());
    return (
      value('floe_stream_messages_total', { stream: 'stream_metrics' }) === total &&
      [...ends.keys()].every(
        (partition) => value('floe_stream_lag_messages', { stream: 'stream_metrics', partition: String(partition) }) === 0,
      )
    );
  });
  const batches = events(lines, 'batch');
  const stream = { stream: 'stream_metrics' };
  assert.equal(value('floe_stream_rows_total', stream), total - bad.size);
  assert.equal(value('floe_stream_dead_letters_total', stream), bad.size);
  assert.equal(value('floe_stream_batches_total', stream), batches.length);
  assert.equal(value('floe_stream_commit_failures_total', stream), 0);
  assert.equal(value('floe_stream_commit_seconds_count', stream), batches.length);
  const commitSeconds = batches.reduce((sum, batch) => sum + Number(batch.commitMs) / 1000, 0);
  assert.ok(
    Math.abs(value('floe_stream_commit_seconds_sum', stream)! - commitSeconds) < 1e-6,
    `${value('floe_stream_commit_seconds_sum', stream)} ≠ ${commitSeconds}`,
  );
  for (const [partition, end] of ends)
    assert.equal(value('floe_stream_last_batch_end_offset', { ...stream, partition: String(partition) }), Number(end));
  assert.ok(value('floe_process_resident_memory_bytes')! > 0, 'the process metrics beside');
  assert.equal((await fetch(url.replace('/metrics', '/'))).status, 404);

  // Another consumer asking for the same port stops before it joins the group: bad input.
  const refused: string[] = [];
  const second = startStream(refused, ['--metrics-port', String(port)]);
  assert.equal(await exitCode(second), 2, refused.join('\n'));
  assert.match(refused.join('\n'), new RegExp(`Cannot serve stream metrics on 127\\.0\\.0\\.1:${port}: .*--metrics-port`));

  assert.equal(await interrupt(child), 0, lines.join('\n'));
  await checkLanded(dir, tables, total, bad);
  assert.equal((await readTable(dir, 'rides.stream_metrics_dead_letters')).length, bad.size);
});
