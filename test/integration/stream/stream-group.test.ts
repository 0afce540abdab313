// services: python, kafka
// A stream's consumer group on the real broker: two projects with a stream of one name, each
// reading its own topic into its own table, consume side by side (their default groups differ: the
// Kafka client's assignor hands every member of a group the leader's topics, and a shared group
// left one of them waiting for ever, as two test files running at once did); and a group named
// for both in the definitions fails the starved consumer with an error naming the group and the
// topics, instead of leaving it waiting.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import type { Runtime } from '../../../features/runtime.js';
import { defaultGroupId } from '../../../features/stream/consumer-group.js';
import { StreamConsumer } from '../../../features/stream/stream-consumer.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import { sqliteCatalogIn } from '../../support/cli-project.js';
import { createTopics, endsOf, produceValues, readTable, streamEvent, streamUntil } from '../../support/kafka-stream.js';
import { createEmptySourceTable } from '../../support/online/online-view.js';
import { driverPushDefinitions } from '../../support/push/push-servers.js';
import { testRuntime } from '../../support/runtime.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { kafkaBrokers } from '../../support/services.js';

const SOURCE_TABLE = 'rides.driver_stats';
const TOTAL = 300;
const SHARED_GROUP = `floe-test-shared-${randomUUID()}`;

interface Project {
  readonly dir: string;
  readonly topic: string;
  readonly runtime: Runtime;
}

/** A project in its own folder and catalog: stream `driver_stream` (or `groupId`'s) reading `topic` into its source table. */
async function project(name: string, options: { readonly groupId?: string } = {}): Promise<Project> {
  const dir = scratchFolder(`stream-group-${name}`);
  const topic = `floe-stream-group-${name}-${randomUUID()}`;
  const runtime = await testRuntime({
    directory: dir,
    catalog: sqliteCatalogIn(dir),
    definitions: [
      ...driverPushDefinitions(SOURCE_TABLE),
      defineStreamSource({
        name: 'driver_stream',
        pushSource: 'driver_push',
        kafka: { brokers: kafkaBrokers(), topic, ...(options.groupId === undefined ? {} : { groupId: options.groupId }) },
        timestampField: 'ts',
        batch: { maxRows: 100, maxDelayMs: 50 },
      }),
    ],
  });
  await createEmptySourceTable(runtime.catalog, SOURCE_TABLE);
  await createTopics([topic]);
  return { dir, topic, runtime };
}

async function produced(topic: string): Promise<Map<number, bigint>> {
  return endsOf(
    await produceValues(
      topic,
      Array.from({ length: TOTAL }, (_, seq) => JSON.stringify(streamEvent(seq))),
    ),
  );
}

const projects: Project[] = [];

before(async () => {
  for (const [name, options] of [
    ['a', {}],
    ['b', {}],
    ['c', { groupId: SHARED_GROUP }],
    ['d', { groupId: SHARED_GROUP }],
  ] as const)
    projects.push(await project(name, options));
});

after(async () => {
  for (const { runtime } of projects) await runtime.close();
});

test('two projects with a stream of one name, on two topics, consume side by side in groups of their own', async () => {
  const [a, b] = projects as [Project, Project];
  const uuidOf = async ({ runtime }: Project) =>
    (await runtime.catalog.loadTable({ namespace: ['rides'], name: 'driver_stats' })).metadata.tableUuid;
  const groups = [defaultGroupId('driver_stream', a.topic, await uuidOf(a)), defaultGroupId('driver_stream', b.topic, await uuidOf(b))];
  assert.notEqual(groups[0], groups[1]);
  assert.match(groups[0]!, /^floe-stream-driver_stream-[0-9a-f]{12}$/);

  const [endsA, endsB] = await Promise.all([produced(a.topic), produced(b.topic)]);
  await Promise.all([
    streamUntil(new StreamConsumer(a.runtime, 'driver_stream'), endsA),
    streamUntil(new StreamConsumer(b.runtime, 'driver_stream'), endsB),
  ]);
  for (const { dir } of [a, b]) {
    const seqs = (await readTable(dir, SOURCE_TABLE)).map((row) => Number(row.trips)).sort((x, y) => x - y);
    assert.deepEqual(
      seqs,
      Array.from({ length: TOTAL }, (_, seq) => seq),
      'every message once in each project',
    );
  }
});

test('one group named for streams of two topics: the starved consumer fails, naming the group and the other topic', async () => {
  const [c, d] = projects.slice(2) as [Project, Project];
  await Promise.all([produced(c.topic), produced(d.topic)]);
  const first = new StreamConsumer(c.runtime, 'driver_stream');
  const firstRun = first.run();
  // The first member holds the group (and leads it) before the second joins.
  while (first.positions.size < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  const second = new StreamConsumer(d.runtime, 'driver_stream');
  const outcomes = [firstRun, second.run()].map((running, index) =>
    running.then(
      () => ({ index, error: undefined }),
      (error: unknown) => ({ index, error }),
    ),
  );
  const deadline = new Promise<{ index: number; error: unknown }>((resolve) =>
    setTimeout(() => resolve({ index: -1, error: new Error('neither consumer failed within 60 s') }), 60_000).unref(),
  );
  const failed = await Promise.race([...outcomes, deadline]);
  await Promise.all([first.stop(), second.stop()]);
  const [starved, other] = failed.index === 0 ? [c, d] : [d, c];
  assert.ok(FloeError.is(failed.error, 'invalid-input'), String(failed.error));
  assert.match(failed.error.message, new RegExp(`consumer group "${SHARED_GROUP}" is shared with consumers of topic "${other.topic}"`));
  assert.match(failed.error.message, new RegExp(`partitions of "${starved.topic}" that never come`));
});
