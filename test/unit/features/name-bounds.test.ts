// The length every user-given name is held to (MAX_NAME_LENGTH in iceberg/catalog/identifier.ts): at the bound a name is taken,
// one past it every kind of definition and every identifier in floe.yaml is refused, naming the
// field and the limit, and a long name is never echoed in full.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readProjectConfig } from '../../../features/config.js';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { MAX_NAME_LENGTH } from '../../../iceberg/catalog/identifier.js';
import { FloeError } from '../../../core/errors.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const atBound = 'n'.repeat(MAX_NAME_LENGTH);
const pastBound = 'n'.repeat(MAX_NAME_LENGTH + 1);
const huge = 'v'.repeat(5_000);

function refused(run: () => unknown, field: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(FloeError.is(error, 'invalid-input'), String(error));
    assert.match(error.message, field);
    assert.match(error.message, new RegExp(`at most ${MAX_NAME_LENGTH} characters`));
    return true;
  });
}

const entity = (name: string, key = 'driver_id') => defineEntity({ name, joinKeys: [{ name: key, type: 'long' }] });
const source = (name: string, table = 'rides.stats') => defineIcebergSource({ name, table, timestampField: 'ts' });
const view = (name: string, feature = 'a') =>
  defineFeatureView({ name, entities: ['driver'], source: 'stats', features: [{ name: feature, type: 'double' }] });

describe('name bounds in definitions', () => {
  it(`takes names of ${MAX_NAME_LENGTH} characters everywhere`, () => {
    assert.equal(entity(atBound, atBound).name, atBound);
    assert.equal(source(atBound, `${atBound}.${atBound}`).table, `${atBound}.${atBound}`);
    assert.equal(view(atBound, atBound).name, atBound);
    assert.equal(defineFeatureService({ name: atBound, features: [`${atBound}:${atBound}`] }).name, atBound);
  });

  it('refuses one character more, naming the field', () => {
    refused(() => entity(pastBound), /Invalid entity n{40}… \(129 characters\): name:/);
    refused(() => entity('driver', pastBound), /Invalid entity driver: joinKeys\.0\.name:/);
    refused(() => source(pastBound), /Invalid source n{40}… \(129 characters\): name:/);
    refused(() => source('stats', `rides.${pastBound}`), /Invalid source stats: table:/);
    refused(() => source('stats', `${pastBound}.stats`), /Invalid source stats: table:/);
    refused(() => view('hourly', pastBound), /Invalid feature view hourly: features\.0\.name:/);
    refused(
      () => defineFeatureView({ name: 'hourly', entities: [pastBound], source: 'stats', features: [{ name: 'a', type: 'double' }] }),
      /Invalid feature view hourly: entities\.0:/,
    );
    refused(
      () =>
        defineFeatureView({
          name: 'hourly',
          entities: ['driver'],
          source: 'stats',
          features: [{ name: 'a', type: 'double' }],
          online: { table: `floe_online.${pastBound}` },
        }),
      /Invalid feature view hourly: online\.table:/,
    );
    refused(
      () => defineFeatureService({ name: pastBound, features: ['hourly'] }),
      /Invalid feature service n{40}… \(129 characters\): name:/,
    );
    refused(
      () => defineFeatureService({ name: 'model', features: [`hourly:${pastBound}`] }),
      /Invalid feature service model: features\.0:/,
    );
  });

  it('names a 5,000-character view by its start and its length, not in full', () => {
    assert.throws(
      () => view(huge),
      (error: unknown) => {
        assert.ok(FloeError.is(error, 'invalid-input'));
        assert.match(error.message, /Invalid feature view v{40}… \(5000 characters\): name: must be at most 128 characters/);
        assert.ok(!error.message.includes('v'.repeat(200)), 'the whole name is echoed');
        return true;
      },
    );
  });
});

describe('identifiers in floe.yaml', () => {
  const directory = scratchFolder('name-bounds');

  async function config(lines: string): Promise<unknown> {
    const file = path.join(directory, 'floe.yaml');
    await writeFile(file, `project: demo\ncatalog:\n  type: sql\n  uri: catalog.db\n${lines}`);
    return readProjectConfig(file, {});
  }

  async function refusedConfig(lines: string, problem: RegExp): Promise<void> {
    await assert.rejects(config(lines), (error: unknown) => {
      assert.ok(FloeError.is(error, 'invalid-input'), String(error));
      assert.match(error.message, problem);
      return true;
    });
  }

  it('online.namespace is checked like a view name: letters, digits, underscores and dots between levels, at most 128 characters', async () => {
    assert.deepEqual(((await config(`online:\n  namespace: ${atBound}\n`)) as { online: unknown }).online, { namespace: atBound });
    assert.deepEqual(((await config('online:\n  namespace: features.online_v2\n')) as { online: unknown }).online, {
      namespace: 'features.online_v2',
    });
    await refusedConfig(`online:\n  namespace: ${pastBound}\n`, /online\.namespace: must be at most 128 characters/);
    await refusedConfig(
      `online:\n  namespace: "x'; DROP TABLE iceberg_tables; --"\n`,
      /online\.namespace: must be letters, digits and underscores/,
    );
    await refusedConfig('online:\n  namespace: ""\n', /online\.namespace: must be letters/);
    await refusedConfig('online:\n  namespace: "a..b"\n', /online\.namespace: must be letters/);
  });

  it('the project, the catalog name and the Temporal names are bounded too', async () => {
    const file = path.join(directory, 'floe.yaml');
    await writeFile(file, `project: ${pastBound}\ncatalog:\n  type: sql\n  uri: catalog.db\n`);
    await assert.rejects(readProjectConfig(file, {}), /project: must be at most 128 characters/);
    await refusedConfig(`temporal:\n  taskQueue: "two words"\n`, /temporal\.taskQueue: must not contain spaces or control characters/);
    await refusedConfig(`temporal:\n  namespace: ${'t'.repeat(1001)}\n`, /temporal\.namespace: must be at most 1000 characters/);
    await writeFile(file, `project: demo\ncatalog:\n  type: sql\n  name: ${'c'.repeat(256)}\n  uri: catalog.db\n`);
    await assert.rejects(readProjectConfig(file, {}), /catalog\.name: must be at most 255 characters/);
  });
});
