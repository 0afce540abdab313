// `floe dev`'s reload: the one-line summary of what changed, and the watch that starts a reload
// (one call per burst of events, an editor's rename-over save included, nothing for other files).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeChanges } from '../../../cli/dev-reload.js';
import { watchProjectFiles } from '../../../cli/dev-watch.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { diffDefinitions } from '../../../features/registry-store/diff.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
const source = defineIcebergSource({ name: 'stats', table: 'rides.stats', timestampField: 'ts' });
const view = (name: string, features: { name: string; type: 'double' | 'long' }[], description?: string) =>
  defineFeatureView({ name, entities: ['driver'], source: 'stats', features, ...(description ? { description } : {}) });

describe('describeChanges', () => {
  it('names added and removed views and features, and other changed fields', () => {
    const before = [driver, source, view('hourly', [{ name: 'a', type: 'double' }]), view('old', [{ name: 'x', type: 'long' }])];
    const after = [
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }], description: 'A driver' }),
      source,
      view('hourly', [{ name: 'b', type: 'long' }], 'hourly stats'),
      view('trips', [{ name: 'x', type: 'long' }]),
    ];
    assert.deepEqual(describeChanges(diffDefinitions(before, after)), [
      '~entity driver (description)',
      '+feature hourly:b',
      '-feature hourly:a',
      '~view hourly (description)',
      '-view old',
      '+view trips',
    ]);
  });

  it('names a view whose feature changed type only by its features', () => {
    const changes = diffDefinitions([view('hourly', [{ name: 'a', type: 'long' }])], [view('hourly', [{ name: 'a', type: 'double' }])]);
    assert.deepEqual(describeChanges(changes), ['~view hourly (features)']);
  });
});

describe('watchProjectFiles', () => {
  it('calls once per burst, sees a save that renames a new file over the old, and ignores other files', async (t) => {
    const directory = scratchFolder('dev-watch', t);
    const watched = path.join(directory, 'features.ts');
    await writeFile(watched, 'export {};\n');
    await writeFile(path.join(directory, 'other.ts'), 'export {};\n');
    const calls: string[][] = [];
    const watch = watchProjectFiles((files) => calls.push([...files]), 300);
    // Waits for the calls expected (10 s at most), then twice the debounce for any that should not come.
    const settled = async (count: number) => {
      for (let waited = 0; calls.length < count && waited < 10_000; waited += 50) await sleep(50);
      await sleep(600);
    };
    // No call should come: as long as a burst takes to arrive and settle on a busy machine, not the 10 s a missing call may take.
    const quiet = () => sleep(2_000);
    try {
      watch.watchFiles([watched]);
      // Synchronous writes: the burst surely falls within the debounce, however busy the machine.
      for (let edit = 0; edit < 3; edit++) writeFileSync(watched, `export const edit = ${edit};\n`);
      await settled(1);
      assert.deepEqual(calls, [[watched]]);

      await writeFile(path.join(directory, 'features.ts.tmp'), 'export const saved = 1;\n');
      await rename(path.join(directory, 'features.ts.tmp'), watched);
      await settled(2);
      assert.deepEqual(calls, [[watched], [watched]]);

      await writeFile(path.join(directory, 'other.ts'), 'export const other = 1;\n');
      await quiet();
      assert.equal(calls.length, 2, 'a file outside the watched set starts no reload');
    } finally {
      watch.close();
    }
  });
});
