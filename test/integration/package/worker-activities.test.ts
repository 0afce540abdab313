// services: temporal
// floe/worker runs a user's own activities beside Floe's: a user's workflow on another worker calls
// one through the Floe worker's task queue. A name Floe already uses is refused, naming it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Runtime } from '../../../public/index.js';
import { connectWorker, createWorker } from '../../../public/worker.js';
import { testRuntime } from '../../support/runtime.js';
import { temporalService } from '../../support/services.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('worker-activities');
let runtime: Runtime;

before(async () => {
  runtime = await testRuntime({
    directory: scratch,
    catalog: { type: 'sql', name: 'floe', uri: path.join(scratch, 'catalog.db'), warehouse: path.join(scratch, 'warehouse') },
    definitions: [],
  });
});

after(async () => {
  await runtime.close();
});

test("a user's activity registered on the Floe worker runs for the user's own workflow", async () => {
  const { address, namespace } = temporalService();
  const floeQueue = `floe-${randomUUID()}`;
  const userQueue = `user-${randomUUID()}`;
  const connection = await connectWorker(address);
  const floeWorker = await createWorker(runtime, {
    connection,
    namespace,
    taskQueue: floeQueue,
    activities: { greet: async (name: string) => `hello ${name} from ${floeQueue}` },
  });
  const userConnection = await NativeConnection.connect({ address });
  const userWorker = await Worker.create({
    connection: userConnection,
    namespace,
    taskQueue: userQueue,
    workflowsPath: fileURLToPath(new URL('user-workflows/index.ts', import.meta.url)),
  });
  const client = new Client({ connection: await Connection.connect({ address }), namespace });
  try {
    const result = await floeWorker.runUntil(
      userWorker.runUntil(
        client.workflow.execute('greetThroughFloe', {
          taskQueue: userQueue,
          workflowId: `greet-${randomUUID()}`,
          args: [floeQueue, 'ada'],
        }),
      ),
    );
    assert.equal(result, `hello ada from ${floeQueue}`);
  } finally {
    await client.connection.close();
    await userConnection.close();
    await connection.close();
  }
});

test("an activity named like one of Floe's is refused, naming it", async () => {
  const connection = await connectWorker(temporalService().address);
  try {
    await assert.rejects(
      createWorker(runtime, {
        connection,
        taskQueue: `floe-${randomUUID()}`,
        activities: { readWatermark: async () => undefined, mine: async () => undefined },
      }),
      /Activity names readWatermark are Floe's own; give your activities other names/,
    );
  } finally {
    await connection.close();
  }
});
