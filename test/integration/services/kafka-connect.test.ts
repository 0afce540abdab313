// services: rest-catalog, python, kafka
/**
 * The Kafka Connect service (scripts/services/kafka-connect.ts) runs Apache Iceberg's own sink, the
 * peer of issue #43's streaming benchmark: 2,000 JSON messages on a 2-partition topic of the test
 * stack's broker end up, once each and with their types converted (long, string, timestamptz from
 * ISO-8601 strings with an offset, double), in a table of the REST catalog fixture on MinIO, as
 * pyiceberg reads it; the row count is followed through the current snapshot's `total-records`
 * summary, as the benchmark counts. The S3 secret is in none of the files or arguments the
 * worker was started with.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { startKafkaConnectSink, type KafkaConnectSink } from '../../../scripts/services/kafka-connect.js';
import { tailLines } from '../../../scripts/services/log-tail.js';
import { produceValues } from '../../support/kafka-stream.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { oracleRestCatalog } from '../../support/rest-catalog.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers, restCatalogService } from '../../support/services.js';

const MESSAGES = 2_000;
const EPOCH = Date.parse('2024-05-01T00:00:00Z');

const schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'name', type: 'string', required: false },
    { id: 3, name: 'ts', type: 'timestamptz', required: false },
    { id: 4, name: 'value', type: 'double', required: false },
  ],
};

/** An ISO-8601 time as a producer may write it, in the three forms the sink parses. */
function isoTime(millis: number, form: number): string {
  const utc = new Date(millis).toISOString(); // 2024-05-01T00:00:01.000Z
  if (form === 0) return utc;
  if (form === 1) return `${utc.slice(0, 19)}Z`; // whole seconds, Z
  // Whole seconds at +02:00. The sink's RecordConverter parses ISO_LOCAL_DATE_TIME + offset
  // `+HHmm`, dropping an offset's colon only where it follows whole seconds: with a fraction,
  // `…00.123+02:00` does not parse (and fails the task), while `…00.123Z` and `…00.123+0200` do.
  return `${new Date(millis + 2 * 3_600_000).toISOString().slice(0, 19)}+02:00`;
}

function message(seq: number): { id: number; name: string; ts: string; value: number } {
  // Whole seconds for forms 1 and 2, so every form round-trips to the same instant.
  const millis = seq % 3 === 0 ? EPOCH + seq * 1_000 + (seq % 1_000) : EPOCH + seq * 1_000;
  return { id: seq, name: `name-${seq}`, ts: isoTime(millis, seq % 3), value: seq / 8 - 100.25 };
}

/** The instant of `message(seq).ts` as pyiceberg writes a timestamptz (microseconds, Z). */
function expectedTs(seq: number): string {
  const millis = seq % 3 === 0 ? EPOCH + seq * 1_000 + (seq % 1_000) : EPOCH + seq * 1_000;
  return `${new Date(millis).toISOString().slice(0, 23)}000Z`;
}

let sink: KafkaConnectSink | undefined;
after(async () => {
  for (const managed of sink?.processes ?? []) await managed.stop();
});

interface Metadata {
  'current-snapshot-id'?: number | string | null;
  snapshots?: { 'snapshot-id': number | string; summary: Record<string, string> }[];
}

/** The current snapshot's summary (undefined before the first commit). */
async function currentSummary(catalog: ReturnType<typeof oracleRestCatalog>, table: string): Promise<Record<string, string> | undefined> {
  const { metadata } = await runPyiceberg<{ metadata: Metadata }>('load_metadata', { catalog, identifier: table });
  const current = metadata['current-snapshot-id'];
  if (current === undefined || current === null || String(current) === '-1') return undefined;
  return metadata.snapshots?.find((snapshot) => String(snapshot['snapshot-id']) === String(current))?.summary;
}

describe('the kafka-connect service', () => {
  test("Iceberg's sink writes 2,000 JSON messages from a 2-partition topic into a REST catalog table once each, types converted", async () => {
    const brokers = kafkaBrokers();
    const rest = restCatalogService();
    const catalog = oracleRestCatalog(rest);
    const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
    const table = `kafka_connect_${suffix}.events`;
    const topic = `floe-kafka-connect-${suffix}`;
    await runPyiceberg('create_table', { catalog, identifier: table, schema, format_version: 2 });

    const admin = new Admin({ clientId: 'floe-kafka-connect-test', bootstrapBrokers: brokers });
    try {
      await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
    } finally {
      await admin.close();
    }
    const values = Array.from({ length: MESSAGES }, (_, seq) => JSON.stringify(message(seq)));
    const placed = await produceValues(topic, values, 0, brokers);
    assert.deepEqual([...new Set(placed.map((where) => where.partition))].sort(), [0, 1], 'the keys spread over both partitions');

    const runDir = scratchFolder('kafka-connect');
    const started = Date.now();
    sink = await startKafkaConnectSink(runDir, {
      name: 'kafka-connect-test',
      brokers,
      topic,
      table,
      restUri: rest.uri,
      warehouse: rest.warehouse,
      storage: rest.s3,
      commitIntervalMs: 1_000,
    });
    const startMs = Date.now() - started;
    assert.match(sink.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);

    // The S3 secret reached the JVM through its environment only.
    const managed = sink.processes[0]!;
    const dir = join(runDir, 'kafka-connect-test');
    for (const text of [
      readFileSync(join(dir, 'worker.properties'), 'utf8'),
      readFileSync(join(dir, 'iceberg-sink.properties'), 'utf8'),
      managed.spec.args.join(' '),
    ])
      assert.equal(text.includes(rest.s3.secretAccessKey), false, 'the S3 secret is not in a properties file or an argument');

    // Poll the current snapshot's total-records, as the benchmark counts.
    const deadline = Date.now() + 120_000;
    let summary: Record<string, string> | undefined;
    while (Number(summary?.['total-records'] ?? 0) < MESSAGES) {
      if (Date.now() > deadline)
        assert.fail(
          `the table holds ${summary?.['total-records'] ?? 'no snapshot, so 0'} of ${MESSAGES} rows 120 s after the sink started; ` +
            `last 40 lines of ${managed.spec.log}:\n${tailLines(managed.spec.log, 40)}`,
        );
      const exited = managed.exited();
      if (exited !== undefined) assert.fail(`the Connect worker ${exited}; last 40 lines of its log:\n${tailLines(managed.spec.log, 40)}`);
      await sleep(500);
      summary = await currentSummary(catalog, table);
    }
    const landedMs = Date.now() - started;
    assert.equal(summary?.['total-records'], String(MESSAGES), 'no message written twice');
    assert.ok(summary?.['kafka.connect.commit-id'], "the snapshot is the sink's commit");
    assert.equal(readFileSync(managed.spec.log, 'utf8').includes(rest.s3.secretAccessKey), false, 'the S3 secret is not in the log');

    const { rows } = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog, identifier: table });
    const byId = [...rows].sort((a, b) => Number(a.id) - Number(b.id));
    assert.equal(byId.length, MESSAGES);
    for (let seq = 0; seq < MESSAGES; seq++) {
      const { id, name, value } = message(seq);
      assert.deepEqual(byId[seq], { id: String(id), name, ts: expectedTs(seq), value }, `row ${seq}`);
    }
    // For the report: how long the peer takes to come up and to land 2,000 messages.
    process.stdout.write(`# kafka-connect sink: healthy after ${startMs} ms, ${MESSAGES} rows committed after ${landedMs} ms\n`);

    await managed.stop();
    sink = undefined;
  });
});
