// services: minio
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { fileIOFor } from '../../../iceberg/io/file-io-for.js';
import { S3FileIO } from '../../../iceberg/io/s3-file-io.js';
import { ProcessCaches } from '../../../iceberg/process-caches.js';
import type { S3Config } from '../../../iceberg/io/s3-file-io.js';
import { s3Service } from '../../support/services.js';
import { startConditionalWriteRefusingProxy } from '../../support/iceberg/s3-proxy.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const MiB = 1024 * 1024;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

const scratch = scratchFolder('s3io');
let prefix: string;

function s3(extra: Partial<S3Config> = {}): S3FileIO {
  const service = s3Service();
  return new S3FileIO({
    endpoint: service.endpoint,
    region: service.region,
    pathStyle: true,
    accessKeyId: service.accessKeyId,
    secretAccessKey: service.secretAccessKey,
    cacheDirectory: join(scratch, 'cache'),
    ...extra,
  });
}

async function collect(io: S3FileIO, location: string): Promise<string[]> {
  const found: string[] = [];
  for await (const info of io.list(location)) found.push(info.location);
  return found;
}

before(async () => {
  prefix = `s3://${s3Service().bucket}/s3io-${randomUUID()}`;
});

describe('S3FileIO on MinIO', () => {
  it('writes, reads, stats and deletes an object', async () => {
    const io = s3();
    const location = `${prefix}/basic/a.json`;
    await io.write(location, bytes('{"a":1}'));
    assert.equal(new TextDecoder().decode(await io.read(location)), '{"a":1}');
    assert.equal((await io.stat(location)).size, 7);
    assert.equal(await io.exists(location), true);
    await io.delete(location);
    assert.equal(await io.exists(location), false);
    await assert.rejects(io.read(location), (error: unknown) => FloeError.is(error, 'not-found') && error.message.includes(location));
  });

  it('readRange reads only the bytes asked for (a deletion vector in its Puffin file), and refuses a range past the end', async () => {
    const io = s3();
    const location = `${prefix}/range/deletes.puffin`;
    await io.write(location, bytes('PFA1-blob-one-blob-two-PFA1'));
    assert.equal(new TextDecoder().decode(await io.readRange(location, 5, 8)), 'blob-one');
    await assert.rejects(io.readRange(location, 20, 10), (error: unknown) => FloeError.is(error) && error.message.includes(location));
  });

  it('ifAbsent refuses to replace an object (If-None-Match: *), and the first content stays', async () => {
    const io = s3();
    const location = `${prefix}/once/00001-x.metadata.json`;
    await io.write(location, bytes('first'), { ifAbsent: true });
    await assert.rejects(io.write(location, bytes('second'), { ifAbsent: true }), (error: unknown) =>
      FloeError.is(error, 'already-exists'),
    );
    assert.equal(new TextDecoder().decode(await s3().read(location)), 'first');
  });

  it('of concurrent ifAbsent writers exactly one wins', async () => {
    const location = `${prefix}/race/pointer.json`;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) => s3().write(location, bytes(`writer-${index}`), { ifAbsent: true })),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    for (const result of results)
      if (result.status === 'rejected') assert.ok(FloeError.is(result.reason, 'already-exists'), String(result.reason));
  });

  it('lists every object under a prefix across pages', async () => {
    const io = s3({ listPageSize: 2 });
    const names = ['a/1.parquet', 'a/2.parquet', 'b/c/3.parquet', 'd.avro', 'e.avro'];
    await Promise.all(names.map((name) => io.write(`${prefix}/list/${name}`, bytes(name))));
    assert.deepEqual(
      await collect(io, `${prefix}/list/`),
      names.map((name) => `${prefix}/list/${name}`),
    );
    assert.deepEqual(await collect(io, `${prefix}/list/a/`), [`${prefix}/list/a/1.parquet`, `${prefix}/list/a/2.parquet`]);
    const infos = [];
    for await (const info of io.list(`${prefix}/list/d`)) infos.push(info);
    assert.deepEqual(
      infos.map((info) => [info.location, info.size]),
      [[`${prefix}/list/d.avro`, 6]],
    );
  });

  it('uploads a large file in parts, byte-exact, and refuses to replace it with ifAbsent', async () => {
    const io = s3({ multipartThresholdBytes: 1 * MiB, partSizeBytes: 5 * MiB });
    const data = randomBytes(11 * MiB + 123);
    const source = join(scratch, 'big.parquet');
    await writeFile(source, data);
    const location = `${prefix}/multipart/big.parquet`;
    await io.upload(source, location, { ifAbsent: true });
    assert.equal((await io.stat(location)).size, data.byteLength);
    assert.equal(sha256(await io.read(location)), sha256(data));
    await assert.rejects(io.upload(source, location, { ifAbsent: true }), (error: unknown) => FloeError.is(error, 'already-exists'));
  });

  it('localize downloads once into the cache (ranged GETs for large files) and reuses the copy', async () => {
    const io = s3({ rangedReadThresholdBytes: 1 * MiB, partSizeBytes: 5 * MiB });
    const data = randomBytes(12 * MiB + 7);
    const location = `${prefix}/localize/data.parquet`;
    await io.write(location, data);
    const [first, second] = await Promise.all([io.localize(location), io.localize(location)]);
    assert.equal(first, second);
    assert.match(first as string, /\.parquet$/);
    assert.equal(sha256(await readFile(first as string)), sha256(data));
    const inode = (await stat(first as string)).ino;
    assert.equal((await stat(await io.localize(location))).ino, inode, 'a second localize reuses the cached file');
    const small = `${prefix}/localize/small.parquet`;
    await io.write(small, bytes('tiny'));
    assert.equal(await readFile(await io.localize(small), 'utf8'), 'tiny');
    assert.ok((await readdir(join(scratch, 'cache'))).every((name) => !name.endsWith('.part')));
  });

  it('fileIOFor builds a working S3FileIO from pyiceberg-style properties', async () => {
    const service = s3Service();
    const io = fileIOFor(
      `${prefix}/props/x`,
      {
        's3.endpoint': service.endpoint,
        's3.region': service.region,
        's3.access-key-id': service.accessKeyId,
        's3.secret-access-key': service.secretAccessKey,
      },
      new ProcessCaches(),
    );
    await io.write(`${prefix}/props/x`, bytes('ok'));
    assert.equal(new TextDecoder().decode(await io.read(`${prefix}/props/x`)), 'ok');
  });

  it('on a store without conditional writes (501), ifAbsent falls back to check-then-put', async () => {
    const front = await startConditionalWriteRefusingProxy(new URL(s3Service().endpoint));
    try {
      const io = s3({ endpoint: front.endpoint });
      const location = `${prefix}/fallback/00000-a.metadata.json`;
      await io.write(location, bytes('first'), { ifAbsent: true });
      await assert.rejects(io.write(location, bytes('second'), { ifAbsent: true }), (error: unknown) =>
        FloeError.is(error, 'already-exists'),
      );
      assert.equal(new TextDecoder().decode(await s3().read(location)), 'first');
      assert.equal(front.refused, 1, 'the conditional PUT was refused once, then the fallback ran');
    } finally {
      await front.close();
    }
  });

  it('bad credentials fail as a non-retryable io error that does not show the secret', async () => {
    const secret = `wrong-${randomUUID()}`;
    const io = s3({ accessKeyId: 'nobody', secretAccessKey: secret });
    await assert.rejects(io.read(`${prefix}/basic/whatever`), (error: unknown) => {
      assert.ok(FloeError.is(error, 'io'), String(error));
      assert.equal(error.retryable, false);
      assert.ok(!error.message.includes(secret) && !JSON.stringify(error.context).includes(secret));
      return true;
    });
  });

  it('a read whose object changed after it was planned (If-Match answered 412) is a retryable change, not already-exists', async () => {
    const io = s3();
    const location = `${prefix}/changed/data.bin`;
    await io.write(location, bytes('version two'));
    // The read planned on version one's ETag; MinIO answers the GET's If-Match with 412.
    (io as unknown as { head: (location: string) => Promise<{ size: number; etag: string; lastModifiedMs: number }> }).head = async () => ({
      size: 11,
      etag: '"0123456789abcdef0123456789abcdef"',
      lastModifiedMs: 0,
    });
    await assert.rejects(io.localize(location), (error: unknown) => {
      assert.ok(FloeError.is(error, 'io'), `expected an io error, got ${String(error)}`);
      assert.equal(error.retryable, true);
      assert.match(error.message, /changed while it was being read/);
      assert.ok(error.message.includes(location));
      return true;
    });
  });
});
