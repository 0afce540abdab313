// services: postgres
// A cancelled statement of the Postgres catalog driver (a worker stopping mid-commit): it ends at
// once with the signal's reason, the server ends its backend (so an uncommitted change is rolled
// back), and the pool goes on answering with other connections.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { PostgresDriver } from '../../../iceberg/catalog/postgres-driver.js';
import { freshPostgresDatabase, withPostgres } from '../../support/postgres.js';

test('a statement cancelled by its signal ends at once with the reason, its backend ends, and the pool still answers', async () => {
  const url = await freshPostgresDatabase('postgres_cancel');
  const driver = new PostgresDriver(url);
  try {
    const controller = new AbortController();
    const reason = new Error('the worker is shutting down');
    const running = driver.query("SELECT pg_sleep(30), 'floe-cancel-probe'", [], { signal: controller.signal });
    await sleep(500);
    const started = Date.now();
    controller.abort(reason);
    await assert.rejects(running, (error: unknown) => error === reason);
    assert.ok(Date.now() - started < 1_000, 'ended at once, not when the statement would have');

    const probes = async (): Promise<number> =>
      withPostgres(url, async (client) => {
        const { rows } = await client.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE '%floe-cancel-probe%' AND pid <> pg_backend_pid()",
        );
        return Number(rows[0]!.n);
      });
    for (let polls = 0; (await probes()) > 0; polls++) {
      assert.ok(polls < 50, 'the server still runs the cancelled statement 5 s later');
      await sleep(100);
    }
    assert.deepEqual(await driver.query('SELECT 1 AS one'), [{ one: 1 }]);

    const aborted = AbortSignal.abort(reason);
    await assert.rejects(
      driver.execute('SELECT 1', [], { signal: aborted }),
      (error: unknown) => error === reason,
      'refused before it starts',
    );
  } finally {
    await driver.close();
  }
});
