import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FloeError } from '../../../core/errors.js';
import { directoriesToFlush, LocalFileIO, localPath } from '../../../iceberg/io/local-file-io.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const io = new LocalFileIO();
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const root = scratchFolder('local-io');

async function collect(prefix: string): Promise<string[]> {
  const locations: string[] = [];
  for await (const info of io.list(prefix)) locations.push(info.location);
  return locations;
}

describe('LocalFileIO', () => {
  it('maps plain paths, file:/// URIs and Hadoop file:/ URIs to the same path', () => {
    assert.equal(localPath('/a/b c/d'), '/a/b c/d');
    assert.equal(localPath('file:///a/b c/d'), '/a/b c/d');
    assert.equal(localPath('file://localhost/a/b'), '/a/b');
  });

  it('takes a file: URI literally, as pyiceberg and Java do: a partition folder name=o%27x is a folder of that name', () => {
    assert.equal(localPath('file:///w/data/name=o%27quote%3B+x/f.parquet'), '/w/data/name=o%27quote%3B+x/f.parquet');
    assert.equal(localPath('file:/w/data/name=%C3%BC/f.parquet'), '/w/data/name=%C3%BC/f.parquet');
    assert.throws(() => localPath('file://otherhost/a'), /another host/);
    assert.equal(localPath('file:/a/b'), '/a/b');
  });

  it('writes (creating directories) and reads back through a file:// URI', async () => {
    const location = pathToFileURL(join(root, 'w', 'deep', 'x.json')).href;
    await io.write(location, bytes('hello'));
    assert.equal(new TextDecoder().decode(await io.read(location)), 'hello');
    assert.equal((await io.stat(location)).size, 5);
    assert.equal(await io.exists(location), true);
  });

  it('ifAbsent refuses to replace an existing file and leaves it untouched', async () => {
    const location = join(root, 'once', 'v1.metadata.json');
    await io.write(location, bytes('first'), { ifAbsent: true });
    await assert.rejects(
      io.write(location, bytes('second'), { ifAbsent: true }),
      (error: unknown) => FloeError.is(error, 'already-exists') && error.context['location'] === location,
    );
    assert.equal(await readFile(location, 'utf8'), 'first');
    // No temporary file is left behind by either attempt.
    assert.deepEqual(await readdir(join(root, 'once')), ['v1.metadata.json']);
  });

  it('of many concurrent ifAbsent writers exactly one wins', async () => {
    const location = join(root, 'race', 'pointer.json');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => io.write(location, bytes(`writer-${index}`), { ifAbsent: true })),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const result of results) if (result.status === 'rejected') assert.ok(FloeError.is(result.reason, 'already-exists'));
    assert.match(await readFile(location, 'utf8'), /^writer-\d+$/);
  });

  it('a plain write replaces the file whole', async () => {
    const location = join(root, 'replace.txt');
    await io.write(location, bytes('a'.repeat(1000)));
    await io.write(location, bytes('b'));
    assert.equal(await readFile(location, 'utf8'), 'b');
  });

  it('uploads a local file, with ifAbsent too', async () => {
    const source = join(root, 'source.parquet');
    await writeFile(source, bytes('PAR1'));
    const target = join(root, 'table', 'data', 'f.parquet');
    await io.upload(source, target, { ifAbsent: true });
    assert.equal(await readFile(target, 'utf8'), 'PAR1');
    await assert.rejects(io.upload(source, target, { ifAbsent: true }), (error: unknown) => FloeError.is(error, 'already-exists'));
  });

  it('flushes the directory that names a new file, and each folder created for it with the one holding it', () => {
    assert.deepEqual(directoriesToFlush('/w/t/data', undefined), ['/w/t/data']);
    assert.deepEqual(directoriesToFlush('/w/t/data', '/w/t/data'), ['/w/t/data', '/w/t']);
    assert.deepEqual(directoriesToFlush('/w/t/data/a=1/b=2', '/w/t/data/a=1'), ['/w/t/data/a=1/b=2', '/w/t/data/a=1', '/w/t/data']);
    assert.deepEqual(directoriesToFlush('/w/t/metadata', '/w'), ['/w/t/metadata', '/w/t', '/w', '/']);
  });

  it('reading a missing file is not-found naming it; deleting one is fine', async () => {
    const missing = join(root, 'nope.avro');
    await assert.rejects(io.read(missing), (error: unknown) => FloeError.is(error, 'not-found') && error.message.includes(missing));
    assert.equal(await io.exists(missing), false);
    await io.delete(missing);
    await assert.rejects(io.localize(missing), (error: unknown) => FloeError.is(error, 'not-found'));
  });

  it('lists recursively under a directory or a name prefix, in the caller’s scheme', async () => {
    const base = join(root, 'listing');
    for (const name of ['a/1.parquet', 'a/b/2.parquet', 'c.avro', 'cat.txt']) await io.write(join(base, name), bytes(name));
    assert.deepEqual(
      (await collect(base)).map((path) => path.slice(base.length)),
      ['/a/1.parquet', '/a/b/2.parquet', '/c.avro', '/cat.txt'],
    );
    assert.deepEqual(
      (await collect(join(base, 'c'))).map((path) => path.slice(base.length)),
      ['/c.avro', '/cat.txt'],
    );
    const uris = await collect(pathToFileURL(join(base, 'a')).href);
    assert.deepEqual(uris, [pathToFileURL(join(base, 'a/1.parquet')).href, pathToFileURL(join(base, 'a/b/2.parquet')).href]);
    assert.deepEqual(await collect(join(root, 'no-such-dir')), []);
  });

  it('localize returns the file itself', async () => {
    const location = join(root, 'local.parquet');
    await io.write(location, bytes('x'));
    const path = await io.localize(pathToFileURL(location).href);
    assert.equal(path, location);
    assert.equal((await stat(path)).size, 1);
  });
});
