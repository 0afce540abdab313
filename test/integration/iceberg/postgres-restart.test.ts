// services: postgres
// The Postgres catalog driver when its server dies under a statement, on a private cluster (started
// with the services scripts' own function, never the shared one): the failure is `connection-lost`
// (retried for a read, an unknown outcome for a commit), and once the server is back the same
// driver's pool answers again with fresh connections.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { PostgresDriver } from '../../../iceberg/catalog/postgres-driver.js';
import { startPostgres } from '../../../scripts/services/postgres.js';
import type { RunningService } from '../../../scripts/services/service.js';
import { withPostgres } from '../../support/postgres.js';
import { kill, restart } from '../../support/pipelines/faults.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const scratch = scratchFolder('postgres-restart');
let postgres: RunningService;
before(async () => {
  postgres = await startPostgres(scratch);
});
after(async () => {
  for (const managed of postgres.processes) await managed.stop();
});

test('a statement whose server is killed under it fails as connection-lost, and the pool recovers after the restart', async () => {
  const url = postgres.env['FLOE_TEST_POSTGRES_URL']!;
  const driver = new PostgresDriver(url);
  try {
    assert.deepEqual(await driver.query('SELECT 1 AS one'), [{ one: 1 }]);
    const running = driver.query('SELECT pg_sleep(30)');
    const failed = running.then(
      () => assert.fail('the statement outlived its server'),
      (error: unknown) => error,
    );
    await sleep(500);
    await kill(postgres);
    assert.equal(driver.classify(await failed), 'connection-lost');

    await restart(postgres, 'a Postgres connection', () => withPostgres(url, async (client) => void (await client.query('SELECT 1'))));
    assert.deepEqual(await driver.query('SELECT 2 AS two'), [{ two: 2 }], 'the pool hands out a working connection again');
  } finally {
    await driver.close();
  }
});
