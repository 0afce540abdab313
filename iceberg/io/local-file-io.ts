/**
 * FileIO on the local file system, for `/abs/path` and `file:` locations. A write never shows a
 * reader a partial file: bytes go to a temporary file in the same directory first, which is then
 * renamed over the target, or, for `ifAbsent`, hard-linked to it (link fails if the name exists,
 * which makes "create only if absent" atomic even between processes).
 *
 * A write is durable when it returns: the file's bytes are flushed before its name appears, and
 * the directory holding the name is flushed after. A catalog commit names a metadata file only
 * once it is written, and the catalog's database flushes its own pointer, so without this a power
 * loss could leave a table whose catalog entry names a metadata file the disk never got.
 */
import { randomUUID } from 'node:crypto';
import { accessSync } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { FloeError } from '../errors.js';
import type { FileInfo, FileIO, WriteOptions } from './file-io.js';

export class LocalFileIO implements FileIO {
  async read(location: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(localPath(location)));
    } catch (error) {
      throw ioError(error, 'read', location);
    }
  }

  async readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    let handle;
    try {
      handle = await open(localPath(location), 'r');
      const bytes = new Uint8Array(length);
      const { bytesRead } = await handle.read(bytes, 0, length, offset);
      if (bytesRead !== length) {
        throw new FloeError('corrupt', `File ${location} ends before byte ${offset + length}: it holds ${offset + bytesRead}`, {
          context: { location },
        });
      }
      return bytes;
    } catch (error) {
      if (FloeError.is(error)) throw error;
      throw ioError(error, 'read', location);
    } finally {
      await handle?.close();
    }
  }

  async write(location: string, data: Uint8Array, options: WriteOptions = {}): Promise<void> {
    await this.place(location, options, (temp) => writeFile(temp, data, { flag: 'wx' }));
  }

  async upload(source: string, location: string, options: WriteOptions = {}): Promise<void> {
    await this.place(location, options, (temp) => copyFile(source, temp));
  }

  async exists(location: string): Promise<boolean> {
    try {
      await stat(localPath(location));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw ioError(error, 'check', location);
    }
  }

  async stat(location: string): Promise<FileInfo> {
    try {
      const info = await stat(localPath(location));
      return { location, size: info.size, lastModifiedMs: Math.trunc(info.mtimeMs) };
    } catch (error) {
      throw ioError(error, 'stat', location);
    }
  }

  /** Deleting a file that is already gone succeeds: cleanup may run twice. */
  async delete(location: string): Promise<void> {
    try {
      await unlink(localPath(location));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw ioError(error, 'delete', location);
    }
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    const root = localPath(prefix);
    const asUri = prefix.startsWith('file:');
    const isDirectory = await stat(root).then(
      (info) => info.isDirectory(),
      () => false,
    );
    // Like an object store: a prefix that is not a directory matches the names that start with it.
    const directory = isDirectory ? root : dirname(root);
    for await (const path of walk(directory)) {
      if (!isDirectory && !path.startsWith(root)) continue;
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) continue; // deleted while listing
      yield { location: asUri ? `file://${path}` : path, size: info.size, lastModifiedMs: Math.trunc(info.mtimeMs) };
    }
  }

  async localize(location: string): Promise<string> {
    const path = localPath(location);
    // A local file needs only a check that it is there. Synchronously: the check takes microseconds,
    // the thread pool's round trip far more, and a scan plan localizes hundreds of files. access()
    // rather than stat(): it fills in no Stats, a third of the cost.
    try {
      accessSync(path);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new FloeError('not-found', `File ${location} does not exist`, { context: { location } });
      }
      throw ioError(error, 'check', location);
    }
    return path;
  }

  private async place(location: string, options: WriteOptions, fill: (temp: string) => Promise<void>): Promise<void> {
    const target = localPath(location);
    const temp = join(dirname(target), `.${basename(target)}.${randomUUID()}.tmp`);
    try {
      const created = await mkdir(dirname(target), { recursive: true });
      await fill(temp);
      await flush(temp);
      if (options.ifAbsent) await link(temp, target);
      else await rename(temp, target);
      for (const directory of directoriesToFlush(dirname(target), created)) await flush(directory);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') {
        throw new FloeError('already-exists', `File ${location} already exists`, { context: { location }, cause: error });
      }
      throw ioError(error, 'write', location);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }
}

/**
 * The file system path of a `file:` URI (`file:///a`, `file://localhost/a`, or Hadoop's `file:/a`)
 * or plain path. The text after the scheme is the path as it is, never percent-decoded: pyiceberg
 * and Java name files by the location string itself, and partition folders hold URL-encoded values
 * (`name=o%27x`) that are literally part of the file's name on disk.
 */
export function localPath(location: string): string {
  if (location.startsWith('file://')) {
    const rest = location.slice('file://'.length);
    const path = rest.startsWith('/') ? rest : rest.startsWith('localhost/') ? rest.slice('localhost'.length) : undefined;
    if (path === undefined) {
      throw new FloeError('invalid-input', `${location} names a file on another host; a file: location must be file:///absolute/path`, {
        context: { location },
      });
    }
    return resolve(path);
  }
  if (location.startsWith('file:')) return resolve(location.slice('file:'.length));
  return resolve(location);
}

/** Flushes a file's bytes, or a directory's entries, to the disk. */
async function flush(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The directories whose entries a new file in `directory` added: its own, and when `mkdir` created
 * folders (from `created` down), each of those and the one that holds the first.
 */
export function directoriesToFlush(directory: string, created: string | undefined): string[] {
  const directories = [directory];
  if (created === undefined) return directories;
  for (let path = directory; path !== created && path !== dirname(path); path = dirname(path)) directories.push(dirname(path));
  directories.push(dirname(created));
  return directories;
}

async function* walk(directory: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw ioError(error, 'list', directory);
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function ioError(error: unknown, verb: string, location: string): FloeError {
  if (FloeError.is(error)) return error;
  const code = errorCode(error);
  if (code === 'ENOENT')
    return new FloeError('not-found', `Cannot ${verb} ${location}: no such file`, { context: { location }, cause: error });
  // Permissions and a full disk will not pass by retrying; anything else might.
  const retryable = code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOSPC' && code !== 'EISDIR' && code !== 'ENOTDIR';
  return new FloeError('io', `Cannot ${verb} ${location}: ${(error as Error).message}`, { context: { location }, cause: error, retryable });
}
