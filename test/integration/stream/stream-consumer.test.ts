// services: python, kafka
// The stream consumer in-process on the real broker (issue #43): a table left behind when a batch
// landed in the source table but not online (the consumer died between the two commits) is
// brought up on restart without writing the source table twice; compactions of the online table
// racing the stream's commits lose and duplicate nothing; and a stop while the consumer joins its
// group (a SIGTERM right after `floe stream` started) ends it cleanly. pyiceberg reads the tables.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { compactTable } from '../../../features/compaction/index.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { StreamConsumer } from '../../../features/stream/stream-consumer.js';
import { recordedOffsets } from '../../../features/online-table/stream-offsets.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import { formatTableIdentifier, parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { checkLanded, createTopics, endsOf, produceValues, streamEvent, streamUntil } from '../../support/kafka-stream.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { testRuntime } from '../../support/runtime.js';
import { sqliteCatalogIn } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';

const dir = scratchFolder('stream-consumer');
const CASES = ['lagging', 'compacted', 'stopped'] as const;
const topics = Object.fromEntries(CASES.map((name) => [name, `floe-stream-${name}-${randomUUID()}`]));
const tables = (name: string) => ({ sourceTable: `rides.stats_${name}`, onlineTable: `floe_online.live_${name}` });
let runtime: Runtime;

before(async () => {
  runtime = await testRuntime({
    directory: dir,
    catalog: sqliteCatalogIn(dir),
    definitions: [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      ...CASES.flatMap((name) => [
        defineIcebergSource({ name: `source_${name}`, table: tables(name).sourceTable, timestampField: 'event_timestamp' }),
        definePushSource({ name: `push_${name}`, batchSource: `source_${name}` }),
        defineStreamSource({
          name: `stream_${name}`,
          pushSource: `push_${name}`,
          kafka: { brokers: kafkaBrokers(), topic: topics[name]! },
          timestampField: 'ts',
          batch: { maxRows: 100, maxDelayMs: 50 },
        }),
        defineFeatureView({
          name: `live_${name}`,
          entities: ['driver'],
          source: `push_${name}`,
          features: [
            { name: 'conv_rate', type: 'double' },
            { name: 'trips', type: 'long' },
          ],
          online: { buckets: 4 },
        }),
      ]),
    ],
  });
  for (const name of CASES) await createEmptySourceTable(runtime.catalog, tables(name).sourceTable);
  await createTopics(Object.values(topics));
});

after(async () => {
  await runtime?.close();
});

/** Events 0..total-1 produced to the case's topic; per partition, the offset after its last. */
async function produced(name: string, total: number): Promise<Map<number, bigint>> {
  const values = Array.from({ length: total }, (_, seq) => JSON.stringify(streamEvent(seq)));
  return endsOf(await produceValues(topics[name]!, values));
}

/** The catalog, but the first commit to `table` is refused: the process "dies" before that table's commit. */
function refusingFirstCommit(catalog: Catalog, table: string): Catalog {
  let refused = false;
  return new Proxy(catalog, {
    get(target, property) {
      if (property === 'commitTable')
        return (...args: Parameters<Catalog['commitTable']>) => {
          if (!refused && formatTableIdentifier(args[0]) === table) {
            refused = true;
            return Promise.reject(new FloeError('invalid-input', `test: the commit to ${table} never happens`));
          }
          return target.commitTable(...args);
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('the stream consumer on the real broker', () => {
  test('a batch in the source table but not online: the restart brings the online table up and writes the source table nothing twice', async () => {
    const { sourceTable, onlineTable } = tables('lagging');
    const ends = await produced('lagging', 600);
    const dying = new StreamConsumer({ ...runtime, catalog: refusingFirstCommit(runtime.catalog, onlineTable) }, 'stream_lagging');
    await assert.rejects(dying.run(), (error: unknown) => {
      assert.ok(FloeError.is(error), String(error));
      assert.match(
        error.message,
        new RegExp(`Stream source stream_lagging \\(topic ${topics.lagging}\\): the batch of partition \\d+ offsets \\d+\\.\\.\\d+`),
      );
      assert.match(error.message, /did not land in floe_online\.live_lagging: .*never happens/);
      return true;
    });
    const offsets = async (table: string) =>
      recordedOffsets((await runtime.catalog.loadTable(parseTableIdentifier(table))).metadata, 'stream_lagging');
    assert.ok((await offsets(sourceTable)).size > 0, 'the first batch landed in the source table');
    assert.equal((await offsets(onlineTable)).size, 0, 'and not online');

    const resumed: ReadonlyMap<number, bigint>[] = [];
    await streamUntil(new StreamConsumer(runtime, 'stream_lagging', { onResume: (at) => resumed.push(at) }), ends);
    assert.equal(resumed[0]!.size, 0, 'resumed from the lagging online table: the earliest offsets');
    await checkLanded(dir, { sourceTable, onlineTable }, 600, new Set());
    assert.deepEqual(await offsets(sourceTable), ends);
    assert.deepEqual(await offsets(onlineTable), ends);
  });

  test('stopped while joining its group: run() resolves having left the group, not failing on its closed client, and a later consumer lands every message once', async () => {
    const ends = await produced('stopped', 300);
    const stopping: StreamConsumer = new StreamConsumer(runtime, 'stream_stopped', {
      // Told where it resumes just before it joins the group: stop it there.
      onResume: () => void stopping.stop(),
    });
    const started = Date.now();
    await stopping.run();
    assert.ok(Date.now() - started < 30_000, `stopped in ${Date.now() - started} ms`);
    assert.equal(stopping.positions.size, 0, 'nothing was taken');
    await streamUntil(new StreamConsumer(runtime, 'stream_stopped'), ends);
    await checkLanded(dir, tables('stopped'), 300, new Set());
  });

  test('compactions of the online table racing the stream: every message once in the source table, online = latest per key', async () => {
    const { sourceTable, onlineTable } = tables('compacted');
    const ends = await produced('compacted', 3_000);
    let streaming = true;
    let compactions = 0;
    const compacting = (async () => {
      while (streaming) {
        const summary = await compactTable(runtime, { featureView: 'live_compacted' }, { minFiles: 1, skipCleanup: true }).catch(
          (error: unknown) => {
            // The online table appears with the stream's first batch; a compaction may lose the race
            // to the stream's commits past its own retries (commit.retry.num-retries): it failed, nothing else.
            if (FloeError.is(error, 'not-found') || FloeError.is(error, 'commit-conflict')) return undefined;
            throw error;
          },
        );
        if (summary?.snapshotId !== null && summary?.snapshotId !== undefined) compactions += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await streamUntil(new StreamConsumer(runtime, 'stream_compacted'), ends);
    } finally {
      streaming = false;
      await compacting;
    }
    assert.ok(compactions >= 1, `compactions committed while streaming: ${compactions}`);
    await checkLanded(dir, { sourceTable, onlineTable }, 3_000, new Set());
    // A compaction that expires every older snapshot keeps the stream's position: its snapshot carries it.
    const summary = await compactTable(runtime, { featureView: 'live_compacted' }, { minFiles: 1, retentionMs: 0, retainLast: 1 });
    assert.ok(summary.snapshotsExpired > 0, JSON.stringify(summary));
    const online = await runtime.catalog.loadTable(parseTableIdentifier(onlineTable));
    assert.equal(online.metadata.snapshots.length, 1);
    assert.deepEqual(recordedOffsets(online.metadata, 'stream_compacted'), ends);
  });
});
