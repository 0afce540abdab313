// services: temporal, python
// Iceberg v3 from the command line: with `iceberg.formatVersion: 3` in floe.yaml, `floe apply`
// creates the online table as v3; `floe table upgrade` moves a v2 online table to v3 once (a second
// run changes nothing), and refuses a downgrade and a table Floe does not own (the source), exit 2.
import assert from 'node:assert/strict';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { floeCommand, writeCliProject } from '../../support/cli-project.js';
import { scratchFolder } from '../../support/scratch-folder.js';

let directory: string;
let source: SourceTable;

before(async () => {
  directory = scratchFolder('cli-upgrade');
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
});

after(async () => {});

async function project(name: string, view: string, formatVersion?: 3): Promise<string> {
  const folder = path.join(directory, name);
  await mkdir(folder);
  await writeCliProject(folder, { project: name, source, view });
  if (formatVersion !== undefined) await appendFile(path.join(folder, 'floe.yaml'), `iceberg:\n  formatVersion: ${formatVersion}\n`);
  const applied = await floeCommand(['apply', '--project', folder]);
  assert.equal(applied.code, 0, applied.stderr);
  return folder;
}

async function formatVersionOf(table: string): Promise<number> {
  const catalog = await loadCatalog(source.floeCatalog);
  try {
    return (await catalog.loadTable(parseTableIdentifier(table))).metadata.formatVersion;
  } finally {
    await catalog.close();
  }
}

describe('floe and Iceberg v3', () => {
  test('iceberg.formatVersion: 3 makes floe apply create the online table as v3', async () => {
    await project('v3_project', 'stats_v3', 3);
    assert.equal(await formatVersionOf('floe_online.stats_v3'), 3);
  });

  test('floe table upgrade moves a v2 online table to v3 once, and refuses a downgrade and a source table', async () => {
    const folder = await project('v2_project', 'stats_v2');
    const online = 'floe_online.stats_v2';
    assert.equal(await formatVersionOf(online), 2);
    const floe = (...args: string[]) => floeCommand([...args, '--project', folder]);

    const upgraded = await floe('table', 'upgrade', online, '--format-version', '3', '--json');
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.deepEqual(JSON.parse(upgraded.stdout), { table: online, from: 2, to: 3, upgraded: true });
    assert.equal(await formatVersionOf(online), 3);

    const again = await floe('table', 'upgrade', online, '--format-version', '3');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /floe_online\.stats_v2 is already format version 3/);

    const downgrade = await floe('table', 'upgrade', online, '--format-version', '2');
    assert.equal(downgrade.code, 2, downgrade.stderr);
    assert.match(downgrade.stderr, /^floe: Table floe_online\.stats_v2 is format version 3: it cannot go back to version 2/);

    const notOurs = await floe('table', 'upgrade', source.table, '--format-version', '3');
    assert.equal(notOurs.code, 2, notOurs.stderr);
    assert.match(notOurs.stderr, /Table rides\.driver_stats is not a table Floe owns/);
    assert.equal(await formatVersionOf(source.table), 2, 'the source table is left as it was');

    const badVersion = await floe('table', 'upgrade', online, '--format-version', '4');
    assert.equal(badVersion.code, 2, badVersion.stderr);
    assert.match(badVersion.stderr, /--format-version must be 2 or 3, got "4"/);
    for (const result of [downgrade, notOurs, badVersion]) assert.doesNotMatch(result.stderr, /\n\s+at |metadata\.json/);
  });
});
