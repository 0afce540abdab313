// `floe table head`: a table's rows as a user asks for them, in its own process under a non-UTC
// zone — merge-on-read deletes applied, an older snapshot on request, instants in UTC with a Z.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eq } from '../../../iceberg/expressions/expression.js';
import { floeCommand } from '../../support/cli-project.js';
import { createTableWithRows, deleteWhere, withWorkspace } from '../../support/features/tables.js';
import type { Workspace } from '../../support/features/tables.js';

const definitionsModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'features', 'definitions.js');
const HOUR_MICROS = 3_600_000_000n;
const MIDNIGHT_MICROS = BigInt(Date.UTC(2026, 10, 24)) * 1000n;

async function writeProject(workspace: Workspace): Promise<void> {
  await writeFile(path.join(workspace.directory, 'package.json'), '{ "type": "module" }\n');
  await writeFile(
    path.join(workspace.directory, 'features.ts'),
    `import { defineEntity } from ${JSON.stringify(definitionsModule)};\nexport const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'id', type: 'long' }] });\n`,
  );
  await writeFile(
    path.join(workspace.directory, 'floe.yaml'),
    ['project: head_test', 'catalog:', '  type: sql', '  uri: catalog.db', '  warehouse: warehouse', ''].join('\n'),
  );
}

function head(workspace: Workspace, ...args: string[]): ReturnType<typeof floeCommand> {
  return floeCommand(['table', 'head', ...args, '--project', workspace.directory], { env: { ...process.env, TZ: 'Asia/Tokyo' } });
}

describe('floe table head', () => {
  test('prints the rows of the current snapshot with deletes applied, or of an older one', async () => {
    await withWorkspace(async (workspace) => {
      await createTableWithRows(
        workspace,
        'rides.trips',
        [
          { name: 'id', type: 'long' },
          { name: 'city', type: 'string' },
          { name: 'at', type: 'timestamptz' },
        ],
        [
          [
            [1n, 'ams', { micros: MIDNIGHT_MICROS }],
            [2n, 'rtm', { micros: MIDNIGHT_MICROS + HOUR_MICROS + 123_000n }],
          ],
          [[9_007_199_254_740_993n, null, null]],
        ],
      );
      const beforeDelete = (await workspace.catalog.loadTable({ namespace: ['rides'], name: 'trips' })).metadata.currentSnapshotId;
      assert.equal(await deleteWhere(workspace, 'rides.trips', eq('id', 2)), 1);
      await writeProject(workspace);

      const current = await head(workspace, 'rides.trips', '--json');
      assert.equal(current.code, 0, current.stderr);
      const rows = (JSON.parse(current.stdout) as { rows: Record<string, unknown>[] }).rows;
      assert.deepEqual(
        rows.sort((a, b) => String(a.id).localeCompare(String(b.id))),
        [
          { id: '1', city: 'ams', at: '2026-11-24T00:00:00Z' },
          { id: '9007199254740993', city: null, at: null },
        ],
      );

      const older = await head(workspace, 'rides.trips', '--snapshot', String(beforeDelete), '--limit', '5');
      assert.equal(older.code, 0, older.stderr);
      assert.match(older.stdout, /^id\s+city\s+at\n/);
      assert.match(older.stdout, /\b2\s+rtm\s+2026-11-24T01:00:00\.123Z/);

      const limited = await head(workspace, 'rides.trips', '--limit', '1', '--json');
      assert.equal((JSON.parse(limited.stdout) as { rows: unknown[] }).rows.length, 1);
    });
  });

  test('bad input: exit 2 naming the option or the table', async () => {
    await withWorkspace(async (workspace) => {
      await createTableWithRows(workspace, 'rides.empty', [{ name: 'id', type: 'long' }], []);
      await writeProject(workspace);
      const empty = await head(workspace, 'rides.empty');
      assert.equal(empty.code, 0, empty.stderr);
      assert.match(empty.stdout, /rides\.empty has no rows \(no snapshot yet\)/);
      const zero = await head(workspace, 'rides.empty', '--limit', '0');
      assert.equal(zero.code, 2);
      assert.match(zero.stderr, /--limit must be a positive integer, got 0/);
      const missing = await head(workspace, 'rides.nope');
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /rides\.nope/);
      const snapshot = await head(workspace, 'rides.empty', '--snapshot', '42');
      assert.equal(snapshot.code, 2, snapshot.stderr);
      assert.match(snapshot.stderr, /42/);
    });
  });
});
