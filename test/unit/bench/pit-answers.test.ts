// bench pit compares every peer's answer with Floe's before its time counts. Feast with Floe as its
// remote offline store must give the same rows both ways: a changed value, a missing row and an
// extra row each count as differing (which makes the run fail), and the same rows in another order
// do not.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compare, rowsDifferingEitherWay } from '../../../bench/_pit/answers.js';
import { featureName, FEATURES, VIEWS } from '../../../bench/_pit/data.js';
import { Engine } from '../../../engine/duckdb.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const directory = scratchFolder('pit-answers');
const file = (name: string) => path.join(directory, `${name}.parquet`);
let engine: Engine;

/** Writes rows 1..`rows` (request_id, driver_id, every feature = request_id / 10), `sql` applied to them, as a Parquet file. */
async function answer(name: string, rows: number, sql = 'SELECT * FROM answer'): Promise<string> {
  const features = VIEWS.flatMap((view) => FEATURES.map((index) => `i / 10 AS ${featureName(view, index)}`)).join(', ');
  await engine.withConnection(async (connection) => {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE answer AS SELECT i AS request_id, i % 7 AS driver_id, ${features} FROM range(1, ${rows + 1}) AS r(i)`,
    );
    await connection.run(`COPY (${sql}) TO ${quoteLiteral(file(name))} (FORMAT parquet)`);
  });
  return file(name);
}

before(async () => {
  engine = await Engine.create({ threads: 1 });
});
after(() => engine.close());

describe('rowsDifferingEitherWay', () => {
  it('counts nothing for the same rows in another order', async () => {
    const floe = await answer('floe', 100);
    assert.equal(await rowsDifferingEitherWay(floe, await answer('reversed', 100, 'SELECT * FROM answer ORDER BY request_id DESC')), 0);
  });

  it('counts a changed value, a missing row and an extra row', async () => {
    const floe = await answer('floe', 100);
    const changed = await answer(
      'changed',
      100,
      `SELECT * REPLACE (CASE WHEN request_id = 5 THEN 0.25 ELSE payments_f3 END AS payments_f3) FROM answer`,
    );
    assert.equal(await rowsDifferingEitherWay(floe, changed), 1);
    assert.equal(await rowsDifferingEitherWay(floe, await answer('missing', 98)), 2);
    assert.equal(await rowsDifferingEitherWay(floe, await answer('extra', 103)), 3);
    const duplicated = await answer('duplicated', 100, 'SELECT * FROM answer UNION ALL SELECT * FROM answer WHERE request_id = 1');
    assert.equal(await rowsDifferingEitherWay(floe, duplicated), 1);
  });
});

describe('compare', () => {
  it("counts a peer's rows Floe has not, and Floe's rows the floor has not", async () => {
    const floe = await answer('floe', 100);
    assert.deepEqual(await compare(floe, await answer('floor', 99), await answer('peer', 101)), { floor: 1, feast: 1 });
  });
});
