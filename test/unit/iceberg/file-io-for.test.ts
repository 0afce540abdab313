import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { FileIOCache, fileIOFor, mergeIoProperties, s3ConfigFrom } from '../../../iceberg/io/file-io-for.js';
import { LocalFileCache } from '../../../iceberg/io/local-cache.js';
import { LocalFileIO } from '../../../iceberg/io/local-file-io.js';
import { S3FileIO } from '../../../iceberg/io/s3-file-io.js';
import { parseS3Location } from '../../../iceberg/io/s3-location.js';
import { ProcessCaches } from '../../../iceberg/process-caches.js';
import { scratchFolder } from '../../support/scratch-folder.js';

describe('fileIOFor', () => {
  it('picks the implementation from the scheme', () => {
    const caches = new ProcessCaches();
    assert.ok(fileIOFor('s3://bucket/t', {}, caches) instanceof S3FileIO);
    assert.ok(fileIOFor('s3a://bucket/t', {}, caches) instanceof S3FileIO);
    assert.ok(fileIOFor('file:///tmp/t', {}, caches) instanceof LocalFileIO);
    assert.ok(fileIOFor('/tmp/t', {}, caches) instanceof LocalFileIO);
    assert.throws(
      () => fileIOFor('gs://bucket/t', {}, caches),
      (error: unknown) => FloeError.is(error, 'unsupported') && /scheme gs:/.test(error.message),
    );
  });

  it('reads pyiceberg/Java property names; later sources win; custom endpoints default to path-style', () => {
    const merged = mergeIoProperties(
      { 's3.endpoint': 'http://catalog-default:9000', 's3.access-key-id': 'A', 's3.secret-access-key': 'S' },
      { 's3.endpoint': 'http://127.0.0.1:9000', 'client.region': 'eu-west-1' },
      { 's3.session-token': undefined },
    );
    assert.deepEqual(s3ConfigFrom(merged), {
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      pathStyle: true,
      accessKeyId: 'A',
      secretAccessKey: 'S',
    });
    assert.equal(s3ConfigFrom({}).pathStyle, false);
    assert.equal(
      s3ConfigFrom({ 's3.endpoint': 'https://acct.r2.cloudflarestorage.com', 's3.force-virtual-addressing': 'true' }).pathStyle,
      false,
    );
    assert.equal(s3ConfigFrom({ 's3.path-style-access': 'true' }).pathStyle, true);
    assert.throws(
      () => s3ConfigFrom({ 's3.path-style-access': 'yes' }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /s3.path-style-access/.test(error.message),
    );
  });

  it('a bad secret is never echoed in errors', () => {
    const secret = 'super-secret-value';
    try {
      s3ConfigFrom({ 's3.secret-access-key': secret, 'floe.io.cache-max-bytes': 'lots' });
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(FloeError.is(error, 'invalid-input'));
      assert.ok(!error.message.includes(secret));
    }
  });

  it('FileIOCache shares one FileIO per configuration', () => {
    const cache = new FileIOCache(new ProcessCaches());
    const a = cache.get('s3://b/t1', { 's3.endpoint': 'http://x' });
    assert.equal(cache.get('s3://b/t2', { 's3.endpoint': 'http://x', unrelated: '1' }), a);
    assert.notEqual(cache.get('s3://b/t2', { 's3.endpoint': 'http://y' }), a);
  });

  it('parses S3 locations', () => {
    assert.deepEqual(parseS3Location('s3://bucket/a/b.parquet'), { bucket: 'bucket', key: 'a/b.parquet' });
    assert.deepEqual(parseS3Location('s3a://bucket'), { bucket: 'bucket', key: '' });
    assert.throws(
      () => parseS3Location('http://bucket/a'),
      (error: unknown) => FloeError.is(error, 'invalid-input'),
    );
  });
});

describe('LocalFileCache', () => {
  it('downloads once for concurrent callers, keys by location+size+etag and keeps the extension', async (t) => {
    const directory = scratchFolder('cache', t);
    const cache = new LocalFileCache(directory, 1024 * 1024);
    let downloads = 0;
    const download = async (temp: string): Promise<void> => {
      downloads++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      await writeFile(temp, 'abc');
    };
    const key = { location: 's3://b/t/data/f.parquet', size: 3, etag: '"e1"' };
    const paths = await Promise.all(Array.from({ length: 5 }, () => cache.get(key, download)));
    assert.equal(new Set(paths).size, 1);
    assert.equal(downloads, 1);
    assert.match(paths[0] as string, /\.parquet$/);
    assert.equal(await readFile(paths[0] as string, 'utf8'), 'abc');
    // A second cache over the same directory (another process) reuses the file.
    await new LocalFileCache(directory, 1024 * 1024).get(key, download);
    assert.equal(downloads, 1);
    // A different etag is a different entry.
    const other = await cache.get({ ...key, etag: '"e2"' }, download);
    assert.notEqual(other, paths[0]);
    assert.equal(downloads, 2);
    assert.ok((await readdir(directory)).every((name) => !name.endsWith('.part')));
  });

  it('evicts the least recently used entries once over its byte bound', async (t) => {
    const directory = scratchFolder('cache', t);
    // Older entries were written by "another process": this cache has no recent use of them.
    const writer = new LocalFileCache(directory, 1_000_000);
    const fill = (size: number) => async (temp: string) => writeFile(temp, Buffer.alloc(size));
    const oldest = await writer.get({ location: 's3://b/1.parquet', size: 400, etag: 'x' }, fill(400));
    const older = await writer.get({ location: 's3://b/2.parquet', size: 400, etag: 'x' }, fill(400));
    await utimes(oldest, new Date(1_000_000), new Date(1_000_000));
    await utimes(older, new Date(2_000_000), new Date(2_000_000));
    const cache = new LocalFileCache(directory, 1000);
    const newest = await cache.get({ location: 's3://b/3.parquet', size: 400, etag: 'x' }, fill(400));
    const left = await readdir(directory);
    assert.equal(left.length, 2);
    assert.ok(!left.some((name) => oldest.endsWith(name)), 'the least recently used entry is evicted');
    assert.ok(left.some((name) => newest.endsWith(name)));
  });

  it('marks a hit as recent on disk once per grace period, not on every hit', async (t) => {
    const directory = scratchFolder('cache', t);
    const key = { location: 's3://b/1.parquet', size: 10, etag: 'x' };
    const path = await new LocalFileCache(directory, 1000).get(key, async (temp) => writeFile(temp, Buffer.alloc(10)));
    const old = new Date(1_000_000);
    await utimes(path, old, old);
    const cache = new LocalFileCache(directory, 1000);
    const refused = async () => assert.fail('a cached entry is downloaded again');
    await cache.get(key, refused);
    assert.ok((await stat(path)).mtimeMs > old.getTime(), 'the first hit in this cache marks the entry as used');
    await utimes(path, old, old);
    await cache.get(key, refused);
    assert.equal((await stat(path)).mtimeMs, old.getTime(), 'a second hit within the grace period touches nothing');
  });

  it('takes any complete file under the name of a derived entry, whose size is not known before it is written', async (t) => {
    const directory = scratchFolder('cache', t);
    const key = { location: 'file:///derived/positions.parquet', size: undefined, etag: '' };
    let writes = 0;
    const write = async (temp: string) => {
      writes++;
      await writeFile(temp, 'bytes');
    };
    const path = await new LocalFileCache(directory, 1000).get(key, write);
    assert.equal(await readFile(path, 'utf8'), 'bytes');
    assert.equal(await new LocalFileCache(directory, 1000).get(key, write), path);
    assert.equal(writes, 1);
  });

  it('forgets uses past the grace period, so a process meeting ever new files keeps a bounded record', async (t) => {
    const directory = scratchFolder('cache', t);
    let now = 1_000_000;
    const cache = new LocalFileCache(directory, 1_000_000_000, () => now);
    const refused = async () => assert.fail('a cached entry is downloaded again');
    const keys = Array.from({ length: 5000 }, (_, index) => ({ location: `s3://b/${index}.parquet`, size: 1, etag: 'x' }));
    await mkdir(directory, { recursive: true });
    for (const key of keys) await writeFile(cache.pathFor(key), 'x');
    for (const key of keys.slice(0, 4000)) await cache.get(key, refused);
    assert.equal(cache.rememberedUses, 4000);
    now += 61_000;
    for (const key of keys.slice(4000)) await cache.get(key, refused);
    assert.ok(cache.rememberedUses <= 1000, `${cache.rememberedUses} uses remembered, expected only the last minute's`);
  });
});
