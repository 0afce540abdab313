// services: python
/**
 * The pyiceberg oracle's servers (test/support/python-tools.ts): requests sent at once each get
 * their own answer, a request that fails leaves the server answering the next one, and idle
 * servers do not keep a test process from ending.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../../scripts/services/paths.js';
import type { OracleCatalog, RowsReply } from '../../support/pyiceberg.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import { scratchFolder } from '../../support/scratch-folder.js';

/** pyiceberg's SqlCatalog on SQLite in a new folder (SQLite does not create the folder). */
async function catalogIn(name: string): Promise<OracleCatalog> {
  const directory = path.join(scratch, name);
  await mkdir(directory, { recursive: true });
  return sqliteCatalog(directory);
}

const schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };

const scratch = scratchFolder('python-tools');

test('six tables written and read at once each come back with their own rows', async () => {
  const tables = await Promise.all(
    Array.from({ length: 6 }, async (_, index) => ({
      catalog: await catalogIn(`catalog-${index}`),
      identifier: `tools.t${index}`,
      ids: Array.from({ length: index + 1 }, (__, row) => String(index * 100 + row)),
    })),
  );
  const read = await Promise.all(
    tables.map(async ({ catalog, identifier, ids }) => {
      await runPyiceberg('create_table', { catalog, identifier, schema, format_version: 2 });
      await runPyiceberg('append', { catalog, identifier, columns: { id: 'long' }, rows: ids.map((id) => ({ id })) });
      return runPyiceberg<RowsReply>('read', { catalog, identifier });
    }),
  );
  for (const [index, reply] of read.entries())
    assert.deepEqual(reply.rows.map((row) => row.id).sort(), tables[index]!.ids.sort(), `table ${index}`);
});

test('a request that fails names its error, and the servers go on answering', async () => {
  const catalog = await catalogIn('failing');
  await assert.rejects(
    runPyiceberg('read', { catalog, identifier: 'tools.no_such_table' }),
    /pyiceberg oracle \(read\) failed[\s\S]*NoSuchTableError/,
  );
  const created = await runPyiceberg<{ snapshot_id: string | null }>('create_table', {
    catalog,
    identifier: 'tools.after_failure',
    schema,
    format_version: 2,
  });
  assert.equal(created.snapshot_id, null);
});

test('a process that used the oracle ends on its own, its idle servers with it', async () => {
  // .mts: an ES module (top-level await) outside the repository's package.json.
  const script = path.join(scratch, 'one-request.mts');
  // Two catalogs: two servers opening one new SQLite catalog at once race to create its tables.
  const childCatalogs = [1, 2].map((n) => path.join(scratch, `child-${n}`));
  for (const directory of childCatalogs) await mkdir(directory);
  const pyiceberg = path.join(repoRoot, 'test', 'support', 'pyiceberg.ts');
  await writeFile(
    script,
    `import { runPyiceberg, sqliteCatalog } from ${JSON.stringify(pyiceberg)};
const catalogs = ${JSON.stringify(childCatalogs)};
await Promise.all(catalogs.map((directory, n) => runPyiceberg('create_table', { catalog: sqliteCatalog(directory), identifier: 'tools.child' + n, schema: ${JSON.stringify(schema)}, format_version: 2 })));
console.log('done');
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ended = await new Promise<number | null | 'still running'>((resolve) => {
    const timer = setTimeout(() => resolve('still running'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  if (ended === 'still running') child.kill('SIGKILL');
  assert.equal(ended, 0, output);
  assert.match(output, /done/);
});
