/**
 * The peer of bench/stream.ts: Apache Iceberg's Kafka Connect sink (scripts/services/kafka-connect.ts)
 * writing a topic into a table of the same REST catalog, followed through the table's snapshots.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { currentSnapshot } from '../../iceberg/spec/metadata.js';
import { startKafkaConnectSink } from '../../scripts/services/kafka-connect.js';
import type { RunningService } from '../../scripts/services/service.js';
import { restCatalogService } from '../../test/support/services.js';

export interface RunningSink {
  /** When Connect reported the connector and its task running (performance.now()). */
  readonly runningAt: number;
  stop(): Promise<void>;
}

export async function startSink(
  scratch: string,
  options: { brokers: readonly string[]; topic: string; table: string; commitIntervalMs: number },
): Promise<RunningSink> {
  const rest = restCatalogService();
  const runDir = path.join(scratch, `kafka-connect-${options.topic}`);
  await mkdir(runDir, { recursive: true });
  const service: RunningService = await startKafkaConnectSink(runDir, {
    name: 'bench-kafka-connect',
    brokers: [...options.brokers],
    topic: options.topic,
    table: options.table,
    restUri: rest.uri,
    warehouse: rest.warehouse,
    storage: {
      endpoint: rest.s3.endpoint,
      region: rest.s3.region,
      accessKeyId: rest.s3.accessKeyId,
      secretAccessKey: rest.s3.secretAccessKey,
    },
    commitIntervalMs: options.commitIntervalMs,
    tasks: 1,
  });
  const runningAt = performance.now();
  return { runningAt, stop: async () => void (await Promise.all(service.processes.map((process) => process.stop()))) };
}

/** Resolves when the table's current snapshot holds `rows` rows (its summary's total-records), with when it was first seen so. */
export async function untilRows(catalog: Catalog, table: string, rows: number, timeoutMs: number): Promise<number> {
  const identifier = parseTableIdentifier(table);
  const deadline = performance.now() + timeoutMs;
  let held = 0;
  for (;;) {
    held = Number(currentSnapshot((await catalog.loadTable(identifier)).metadata)?.summary['total-records'] ?? 0);
    if (held >= rows) return performance.now();
    if (performance.now() > deadline)
      throw new Error(`The Kafka Connect sink wrote ${held} of ${rows} rows to ${table} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The sink's commits to the table, oldest first: when (ms since the epoch) and how many rows each added. */
export async function sinkCommits(catalog: Catalog, table: string): Promise<{ at: number; rows: number }[]> {
  const { metadata } = await catalog.loadTable(parseTableIdentifier(table));
  return [...metadata.snapshots]
    .sort((a, b) => a.sequenceNumber - b.sequenceNumber)
    .map((snapshot) => ({ at: snapshot.timestampMs, rows: Number(snapshot.summary['added-records'] ?? 0) }));
}
