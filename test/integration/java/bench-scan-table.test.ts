// services: java-oracle
/**
 * The table `bench scan` reads (bench/_iceberg/scan-table.ts), at a tiny shape: as format v3 it
 * deletes exactly the rows its v2 form deletes, with one deletion vector per data file where v2 has
 * position delete files. Java Iceberg, which wrote the deletes, reads both; the deleted ids are
 * worked out here from the table's layout, not taken from Java.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DELETE_EVERY, writeScanTable, type ScanTable, type ScanTableShape } from '../../../bench/_iceberg/scan-table.js';
import { Engine } from '../../../engine/duckdb.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { SqlCatalog } from '../../../iceberg/catalog/sql-catalog.js';
import { javaSqliteCatalog, openJavaOracle, type JavaOracleSession } from '../../support/java-oracle.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const SHAPE: ScanTableShape = { days: 6, appends: 10, rowsPerFile: 40, equalityDeleteEvery: 7 };
/** The appends whose rows the table deletes by position and by equality (scan-table.ts). */
const POSITION_APPENDS = [0, 1, 2];
const EQUALITY_APPENDS = [3, 4, 8];

let dir: string;
let java: JavaOracleSession;
const written: Partial<Record<2 | 3, ScanTable>> = {};

before(async () => {
  dir = scratchFolder('bench-scan-table');
  const catalog = await SqlCatalog.open({
    name: 'floe_oracle',
    uri: join(dir, 'catalog.db'),
    warehouse: `file://${join(dir, 'warehouse')}`,
  });
  const engine = await Engine.create({ setup: registerIcebergFunctions });
  java = openJavaOracle();
  try {
    for (const formatVersion of [2, 3] as const) {
      written[formatVersion] = await writeScanTable(SHAPE, {
        catalog,
        engine,
        identifier: { namespace: [`v${formatVersion}`], name: 'scan' },
        workDirectory: dir,
        java,
        javaCatalog: javaSqliteCatalog(dir),
        formatVersion,
        log: () => undefined,
      });
    }
  } finally {
    engine.close();
    await catalog.close();
  }
});
after(async () => {
  await java.close();
});

/** The ids Java reads from the table of `formatVersion`, at the snapshot before the equality deletes or now. */
async function javaIds(formatVersion: 2 | 3, snapshot: 'before equality deletes' | 'current'): Promise<number[]> {
  const reply = await java.run('read', {
    catalog: javaSqliteCatalog(dir),
    identifier: `v${formatVersion}.scan`,
    columns: ['id'],
    ...(snapshot === 'current' ? {} : { snapshot_id: String(written[formatVersion]!.beforeEqualityDeletes) }),
  });
  return reply.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

/** Every id the layout gives, less those the position deletes (and, now, the equality deletes) remove. */
function expectedIds(snapshot: 'before equality deletes' | 'current'): number[] {
  const { days, appends, rowsPerFile, equalityDeleteEvery } = SHAPE;
  const ids: number[] = [];
  for (let append = 0; append < appends; append++) {
    for (let day = 0; day < days; day++) {
      for (let row = 0; row < rowsPerFile; row++) {
        if (POSITION_APPENDS.includes(append) && row % DELETE_EVERY === 0) continue;
        if (snapshot === 'current' && EQUALITY_APPENDS.includes(append) && row >= 5 && (row - 5) % equalityDeleteEvery === 0) continue;
        ids.push((append * days + day) * rowsPerFile + row);
      }
    }
  }
  return ids.sort((a, b) => a - b);
}

test('v3: one deletion vector per data file of the position-delete appends, and no position delete file', () => {
  const v3 = written[3]!;
  const v2 = written[2]!;
  assert.equal(v3.positionDeletes.deletionVectors, POSITION_APPENDS.length * SHAPE.days);
  assert.equal(v3.positionDeletes.files, POSITION_APPENDS.length, 'one Puffin file per delete commit');
  assert.equal(v2.positionDeletes.deletionVectors, 0);
  assert.equal(v2.positionDeletes.files, POSITION_APPENDS.length * SHAPE.days, 'v2: a position delete file per data file');
  assert.equal(v3.deletedPositions.size, POSITION_APPENDS.length * SHAPE.days);
});

for (const snapshot of ['before equality deletes', 'current'] as const) {
  test(`${snapshot}: Java reads the same rows from the v2 and v3 tables, the ones the layout leaves`, async () => {
    const expected = expectedIds(snapshot);
    assert.deepEqual(await javaIds(2, snapshot), expected, 'v2');
    assert.deepEqual(await javaIds(3, snapshot), expected, 'v3');
  });
}
