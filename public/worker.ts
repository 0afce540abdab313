// `import … from 'floe/worker'`: a Floe worker in the user's own process, optionally registering
// the user's own activities beside Floe's.
export { connectWorker, createWorker } from '../workers/worker.js';
export type { WorkerOptions } from '../workers/worker.js';
export type { TemporalConnectionSettings } from '../workers/temporal-connection.js';
export { runWorker } from '../workers/run.js';
export { StreamConsumer } from '../features/stream/stream-consumer.js';
export type { StreamBatchProgress, StreamConsumerOptions, StreamObserver } from '../features/stream/stream-consumer.js';
export { serveStreamMetrics, streamMetrics } from '../features/stream/stream-metrics.js';
export type { MetricsServer, StreamMetrics } from '../features/stream/stream-metrics.js';
