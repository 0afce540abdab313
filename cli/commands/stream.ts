import type { Command } from 'commander';
import { defined } from '../../contracts/defined.js';
// Types only (erased): the implementations load when the command runs.
import type { StreamConsumer } from '../../features/stream/stream-consumer.js';
import type { MetricsServer } from '../../features/stream/stream-metrics.js';
import type { Redactor } from '../../core/redaction.js';

/** How often the progress line with each partition's lag is printed. */
const PROGRESS_EVERY_MS = 5_000;
/**
 * After SIGINT or SIGTERM, how long landing the gathered batch and leaving the group may take
 * before the command ends anyway: what did not land is read again from the tables' offsets.
 */
const STOP_DEADLINE_MS = 30_000;

export function streamCommand(program: Command, redactor: Redactor): void {
  program
    .command('stream')
    .description(
      "Consume a stream source's Kafka topic and land each batch exactly once in its push source's tables (the batch source's table and the fed views' online tables); bad messages go to the dead-letter table. Runs until SIGINT or SIGTERM, which land the batch being gathered first (30 s at most)",
    )
    .argument('<stream-source>', 'the stream source, as defined with defineStreamSource')
    .option('--brokers <list>', "bootstrap brokers, host:port,… (default: the definition's kafka.brokers)")
    .option('--max-rows <n>', "a batch's most messages (default: the definition's batch.maxRows)")
    .option('--max-delay-ms <ms>', "a batch's longest wait for more messages (default: the definition's batch.maxDelayMs)")
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://<metrics-host>:<port>/metrics (0: any free port, printed)')
    .option('--metrics-host <host>', 'the address the metrics listen on', '127.0.0.1')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print each line as a JSON object (event: metrics, resume, batch, progress, stopped)')
    .action(async (name: string, options: StreamOptions) => {
      const say = (event: string, fields: Record<string, unknown>, text: string): void =>
        console.log(
          options.json
            ? JSON.stringify({ event, ...fields }, (_, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))
            : text,
        );
      // Loaded here, as every command's implementation: `floe --help` loads none (cli/start.test.ts).
      const { positiveInteger } = await import('../arguments.js');
      const { integer } = await import('./serve.js');
      const maxRows = options.maxRows === undefined ? undefined : positiveInteger(options.maxRows, '--max-rows');
      const maxDelayMs = options.maxDelayMs === undefined ? undefined : positiveInteger(options.maxDelayMs, '--max-delay-ms');
      const metricsPort = options.metricsPort === undefined ? undefined : integer(options.metricsPort, '--metrics-port', 0, 65_535);
      const { loadProject } = await import('../../features/project.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { openRuntime } = await import('../../features/runtime.js');
      const { StreamConsumer } = await import('../../features/stream/stream-consumer.js');
      project.registry.streamSource(name);
      const runtime = await openRuntime(project);
      let landed = { messages: 0, rows: 0, deadLetters: 0, commitMs: 0, batches: 0 };
      const started = Date.now();
      const consumer = new StreamConsumer(runtime, name, {
        ...defined({ maxRows, maxDelayMs, brokers: options.brokers?.split(',').map((broker) => broker.trim()) }),
        onResume: (offsets) => {
          const from = [...offsets].map(([partition, next]) => `${partition}@${next}`).join(' ');
          say(
            'resume',
            { offsets: Object.fromEntries(offsets), group: consumer.groupId },
            `resuming from the tables: ${from || 'nothing landed yet'} (other partitions from their earliest offset), in consumer group ${consumer.groupId}`,
          );
        },
        onBatch: (batch) => {
          landed = {
            messages: landed.messages + batch.messages,
            rows: landed.rows + batch.rows,
            deadLetters: landed.deadLetters + batch.deadLetters,
            commitMs: batch.commitMs,
            batches: landed.batches + 1,
          };
          const ends = [...batch.ends].map(([partition, next]) => `${partition}@${next}`).join(' ');
          say(
            'batch',
            { ...batch, ends: Object.fromEntries(batch.ends) },
            `batch ${landed.batches}: ${batch.messages} message(s) landed (${batch.rows} row(s), ${batch.deadLetters} dead letter(s)${batch.read === batch.messages ? '' : ` of ${batch.read} read; the tables held the others already`}) in ${Math.round(batch.commitMs)} ms; next offsets ${ends}`,
          );
        },
      });
      const metrics =
        metricsPort === undefined ? undefined : await serveMetrics(consumer, runtime, { host: options.metricsHost, port: metricsPort });
      if (metrics !== undefined) say('metrics', { url: metrics.url, port: metrics.port }, `Prometheus metrics on ${metrics.url}`);
      const progress = setInterval(() => {
        void consumer.lag().then(
          (lag) => {
            const seconds = (Date.now() - started) / 1000;
            const lags = [...lag].map(([partition, behind]) => `${partition}:${behind}`).join(' ');
            const rowsPerSecond = landed.rows / seconds;
            say(
              'progress',
              { messages: landed.messages, rowsPerSecond, lastCommitMs: landed.commitMs, lag: Object.fromEntries(lag) },
              `${consumer.name} ← ${consumer.topic}: ${landed.messages} message(s), ${rowsPerSecond.toFixed(1)} rows/s, last commit ${Math.round(landed.commitMs)} ms, lag ${lags || 'unknown'}`,
            );
          },
          () => undefined,
        );
      }, PROGRESS_EVERY_MS);
      const stopListening = stopOnSignals(consumer, options.json === true);
      try {
        if (!options.json) console.log(`Streaming ${consumer.topic} into ${name}`);
        await consumer.run();
        say('stopped', { ...landed }, `Stopped ${consumer.name}: ${landed.messages} message(s) landed in ${landed.batches} batch(es)`);
      } finally {
        clearInterval(progress);
        await metrics?.close();
        stopListening();
        await runtime.close();
      }
    });
}

/**
 * On SIGINT or SIGTERM: land the gathered batch and leave the group (run() then resolves), or end
 * the process STOP_DEADLINE_MS later saying what it still waited for. Returns the undo.
 */
function stopOnSignals(consumer: StreamConsumer, json: boolean): () => void {
  const stop = (): void => {
    if (!json) console.log(`Stopping ${consumer.name}: landing the batch being gathered`);
    setTimeout(() => {
      console.error(
        `floe stream ${consumer.name}: gave up stopping after ${STOP_DEADLINE_MS / 1000} s, still ${consumer.waitingFor()}; ending the process (what did not land is read again from the tables' offsets on the next start)`,
      );
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    void consumer.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  };
}

interface StreamOptions {
  readonly brokers?: string;
  readonly maxRows?: string;
  readonly maxDelayMs?: string;
  readonly metricsPort?: string;
  readonly metricsHost: string;
  readonly project: string;
  readonly json?: boolean;
}

/**
 * The consumer's metrics, and the process's own (memory, CPU, event loop), on GET /metrics. A port
 * another program holds stops the command before it joins the group (exit 2).
 */
async function serveMetrics(
  consumer: StreamConsumer,
  runtime: { close(): Promise<void> },
  address: { host: string; port: number },
): Promise<MetricsServer> {
  const { processMetricsRegistry } = await import('../../core/metrics-registry.js');
  const { serveStreamMetrics, streamMetrics } = await import('../../features/stream/stream-metrics.js');
  const { registry } = streamMetrics(consumer, processMetricsRegistry());
  try {
    return await serveStreamMetrics(registry, address);
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
