import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FloeError } from '../../core/errors.js';
import type { StreamConsumer } from './stream-consumer.js';

// A stream consumer's Prometheus metrics (issue #43: lag per partition, rows/s, commit latency),
// for `floe stream --metrics-port` and for a StreamConsumer in the user's own process. Rows/s is
// rate(floe_stream_rows_total[1m]); the counters count what landed (a batch that fails to land
// counts in floe_stream_commit_failures_total only).

/** The metrics of one or more consumers on a registry. */
export interface StreamMetrics {
  readonly registry: Registry;
  /** Stops counting this consumer's batches and drops its lag. */
  close(): void;
}

interface Instruments {
  readonly messages: Counter<'stream'>;
  readonly rows: Counter<'stream'>;
  readonly deadLetters: Counter<'stream'>;
  readonly late: Counter<'stream' | 'feature_view'>;
  readonly batches: Counter<'stream'>;
  readonly commitFailures: Counter<'stream'>;
  readonly commitSeconds: Histogram<'stream'>;
  readonly lastEndOffset: Gauge<'stream' | 'partition'>;
  /** Each consumer's lag as of the last scrape that read it. */
  readonly lags: Map<StreamConsumer, ReadonlyMap<number, bigint>>;
}

/** One set of instruments per registry: several consumers (streams) may share one. */
const registered = new WeakMap<Registry, Instruments>();

/**
 * Counts a consumer's batches on `registry` (a new one by default): `floe_stream_messages_total`,
 * `_rows_total`, `_dead_letters_total`, `_batches_total`, `_commit_failures_total` and the
 * `floe_stream_commit_seconds` histogram (batch formed → its last commit), labelled by stream;
 * `floe_stream_late_events_total` per stream and aggregated view with an allowedLateness;
 * per stream and partition, `floe_stream_last_batch_end_offset` and `floe_stream_lag_messages`
 * (the partition's end offset minus what has landed, read from the broker on each scrape).
 */
export function streamMetrics(consumer: StreamConsumer, registry: Registry = new Registry()): StreamMetrics {
  const instruments = registered.get(registry) ?? instrumentsOn(registry);
  registered.set(registry, instruments);
  const stream = { stream: consumer.name };
  // Present from the start (at 0), so rate() and alerts see the series before the first batch.
  for (const counter of [instruments.messages, instruments.rows, instruments.deadLetters, instruments.batches, instruments.commitFailures])
    counter.inc(stream, 0);
  instruments.lags.set(consumer, new Map());
  const unobserve = consumer.observe({
    batch: (progress) => {
      instruments.messages.inc(stream, progress.messages);
      instruments.rows.inc(stream, progress.rows);
      instruments.deadLetters.inc(stream, progress.deadLetters);
      for (const [view, late] of progress.late) instruments.late.inc({ ...stream, feature_view: view }, late);
      instruments.batches.inc(stream);
      instruments.commitSeconds.observe(stream, progress.commitMs / 1000);
      for (const [partition, next] of progress.ends)
        instruments.lastEndOffset.set({ ...stream, partition: String(partition) }, Number(next));
    },
    commitFailed: () => instruments.commitFailures.inc(stream),
  });
  return {
    registry,
    close() {
      unobserve();
      instruments.lags.delete(consumer);
    },
  };
}

function instrumentsOn(registry: Registry): Instruments {
  const registers = [registry];
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['stream'] as const, registers });
  const lags = new Map<StreamConsumer, ReadonlyMap<number, bigint>>();
  new Gauge({
    name: 'floe_stream_lag_messages',
    help: "Messages of each assigned partition not landed yet: the partition's end offset minus the consumer's position, read on scrape",
    labelNames: ['stream', 'partition'] as const,
    registers,
    async collect() {
      // A broker that does not answer keeps the lag of the last scrape that read it.
      await Promise.all(
        [...lags.keys()].map(async (consumer) => {
          const lag = await consumer.lag().catch(() => undefined);
          if (lag !== undefined && lags.has(consumer)) lags.set(consumer, lag);
        }),
      );
      this.reset();
      for (const [consumer, lag] of lags)
        for (const [partition, behind] of lag) this.set({ stream: consumer.name, partition: String(partition) }, Number(behind));
    },
  });
  return {
    messages: counter('floe_stream_messages_total', 'Messages landed: rows and dead letters'),
    rows: counter('floe_stream_rows_total', 'Rows landed (rate() of it is rows/s)'),
    deadLetters: counter('floe_stream_dead_letters_total', 'Bad messages landed in the dead-letter table'),
    late: new Counter({
      name: 'floe_stream_late_events_total',
      help: "Per aggregated view with an allowedLateness, rows landed later than it: in the source table, online from the view's next materialization",
      labelNames: ['stream', 'feature_view'] as const,
      registers,
    }),
    batches: counter('floe_stream_batches_total', 'Batches landed in every table'),
    commitFailures: counter('floe_stream_commit_failures_total', 'Batches that could not land (the consumer stops)'),
    commitSeconds: new Histogram({
      name: 'floe_stream_commit_seconds',
      help: "From a batch being formed to its last table's commit",
      labelNames: ['stream'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    lastEndOffset: new Gauge({
      name: 'floe_stream_last_batch_end_offset',
      help: "Per partition, the offset after the last batch's last message",
      labelNames: ['stream', 'partition'] as const,
      registers,
    }),
    lags,
  };
}

/** An HTTP server answering GET /metrics with the registry's Prometheus text. */
export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `registry` on http://host:port/metrics (port 0: any free port); a port another program holds is refused (exit 2). */
export async function serveStreamMetrics(
  registry: Registry,
  options: { readonly host: string; readonly port: number },
): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new FloeError(
          error.code === 'EADDRINUSE' || error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES' ? 'invalid-input' : 'io',
          `Cannot serve stream metrics on ${options.host}:${options.port}: ${error.message}; stop the program holding the port or choose another --metrics-port`,
          { context: { field: '--metrics-port' }, cause: error },
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
