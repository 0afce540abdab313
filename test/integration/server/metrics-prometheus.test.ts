// services: temporal, python
// A real Prometheus (Debian's package) scraping `floe serve`'s /metrics and a `floe worker` process's
// endpoint (floe.yaml's worker.metricsPort) while `floe materialize` commits a window: its query API
// answers the view's freshness (now − the window's end, the watermark), the last commit time, an SDK
// metric and Floe's own counters and activity durations.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { freePort } from '../../../scripts/services/ports.js';
import { startPrometheus } from '../../../scripts/services/prometheus.js';
import type { RunningPrometheus } from '../../../scripts/services/prometheus.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { floeCommand, startServer, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const view = `metrics_${randomUUID().slice(0, 8)}`;
const WINDOW = { start: '2024-05-01T00:00:00Z', end: '2024-05-01T12:00:00Z' };

const directory = scratchFolder('metrics');
let worker: ChildProcess | undefined;
let workerOutput = '';
let server: ChildProcess | undefined;
let prometheus: RunningPrometheus | undefined;
let workerMetrics: string;

before(async () => {
  const source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'metrics', source, view, viewFields: ['online: { buckets: 4 }'] });
  const metricsPort = await freePort();
  workerMetrics = `127.0.0.1:${metricsPort}`;
  await appendFile(path.join(directory, 'floe.yaml'), `worker:\n  metricsPort: ${metricsPort}\n`);
  worker = startWorker(directory, { output: (text) => (workerOutput += text) });
  const started = await startServer(directory);
  server = started.server;
  prometheus = await startPrometheus([
    { job: 'floe-server', address: new URL(started.url).host },
    { job: 'floe-worker', address: workerMetrics },
  ]);
});

after(async () => {
  await prometheus?.stop();
  await stopWorker(server);
  await stopWorker(worker);
});

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** Prometheus's answer to an instant query. */
async function query(expression: string): Promise<Sample[]> {
  const response = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(expression)}`);
  const body = (await response.json()) as { status: string; data: { resultType: string; result: Sample[] } };
  assert.equal(body.status, 'success', `query ${expression}`);
  return body.data.result;
}

/** The query's samples once Prometheus has any (it scrapes every second), failing after 30 s with what it has. */
async function eventually(expression: string): Promise<Sample[]> {
  for (let tries = 0; tries < 60; tries++) {
    const samples = await query(expression);
    if (samples.length > 0) return samples;
    await sleep(500);
  }
  const targets = await (await fetch(`${prometheus!.url}/api/v1/targets`)).text();
  assert.fail(`Prometheus has no samples for ${expression}; its targets: ${targets}\nworker:\n${workerOutput}`);
}

test("Prometheus scrapes the server's freshness and the worker's SDK and Floe metrics after a materialization", async () => {
  const beforeCommit = Date.now();
  const run = await floeCommand(['materialize', view, '--start', WINDOW.start, '--end', WINDOW.end, '--project', directory, '--json']);
  const afterCommit = Date.now();
  assert.equal(run.code, 0, `floe materialize failed:\n${run.stderr}\nworker:\n${workerOutput}`);
  const rows = (JSON.parse(run.stdout) as { rows: number }).rows;
  assert.ok(rows > 0);

  // Freshness is the scrape's now − the watermark (the window's end): scraped after the commit, before this query returned.
  const watermark = Date.parse(WINDOW.end);
  const [freshness] = await eventually(`floe_feature_freshness_seconds{feature_view="${view}"}`);
  const queried = Date.now();
  const seconds = Number(freshness!.value[1]);
  assert.ok(
    seconds >= (beforeCommit - watermark) / 1000 && seconds <= (queried - watermark) / 1000,
    `freshness ${seconds} s is not now − ${WINDOW.end}`,
  );
  assert.equal(freshness!.metric.job, 'floe-server');
  const [lastCommit] = await eventually(`floe_feature_last_commit_timestamp_seconds{feature_view="${view}"}`);
  const committedAt = Number(lastCommit!.value[1]) * 1000;
  assert.ok(committedAt >= beforeCommit - 1000 && committedAt <= afterCommit, `last commit ${new Date(committedAt).toISOString()}`);

  // The worker's endpoint: the SDK's own metrics and Floe's, on one port.
  const slots = await eventually(`temporal_worker_task_slots_available{job="floe-worker"}`);
  assert.ok(slots.some((sample) => sample.metric.worker_type === 'ActivityWorker'));
  const [windows] = await eventually(`floe_windows_committed_total{job="floe-worker",feature_view="${view}"}`);
  assert.equal(Number(windows!.value[1]), 1);
  const [written] = await eventually(`sum(floe_rows_written_total{job="floe-worker",feature_view="${view}"})`);
  assert.equal(Number(written!.value[1]), rows);
  const [attempts] = await eventually(`sum(floe_commit_attempts_total{job="floe-worker",feature_view="${view}"})`);
  assert.equal(Number(attempts!.value[1]), 1);
  const [conflicts] = await eventually(`sum(floe_commit_conflicts_total{job="floe-worker",feature_view="${view}"})`);
  assert.equal(Number(conflicts!.value[1]), 0);
  const durations = await eventually(`floe_activity_duration_seconds_count{job="floe-worker",outcome="completed"}`);
  assert.deepEqual([...new Set(durations.map((sample) => sample.metric.activityType))].sort(), ['commitOnline', 'prepareWindow']);
});

test('a worker whose metrics port is taken exits 2 naming the port and the setting', async () => {
  // The running worker holds its metrics port; --metrics-port asks a second worker for the same one.
  const port = workerMetrics.split(':')[1]!;
  const second = await floeCommand(['worker', '--project', directory, '--metrics-port', port]);
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, new RegExp(`cannot serve metrics on 127\\.0\\.0\\.1:${port} \\(worker\\.metricsPort`));
  assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
  const bad = await floeCommand(['worker', '--project', directory, '--metrics-port', 'ninety']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--metrics-port must be an integer from 1 to 65535, got "ninety"/);
});
