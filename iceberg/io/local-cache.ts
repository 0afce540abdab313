/**
 * A bounded local cache of remote files, so DuckDB can read them as local paths. Entries are named
 * by a hash of (location, size, etag): a file changed in place (never done by Iceberg, but possible)
 * gets a new entry rather than stale bytes. Safe for concurrent callers: in this process one
 * download per entry is shared; across processes each downloads to its own temporary file and
 * renames it into place, so a reader only ever sees a complete file. Least recently used entries
 * are evicted once the total passes `maxBytes`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { extname, join } from 'node:path';

export interface CacheKey {
  readonly location: string;
  /** The entry's size in bytes; undefined for a file derived locally, whose size is known once written. */
  readonly size: number | undefined;
  readonly etag: string;
}

/** Entries used this recently are never evicted: a caller may not have opened its path yet. */
const RECENT_USE_GRACE_MS = 60_000;

/** How many uses are remembered before those past the grace period are forgotten. */
const FORGET_USES_AT = 4096;

export class LocalFileCache {
  private readonly inFlight = new Map<string, Promise<string>>();
  /** When each path was last asked for; a use past the grace period counts as none. */
  private readonly lastUsed = new Map<string, number>();
  private forgetUsesAt = FORGET_USES_AT;

  constructor(
    readonly directory: string,
    readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many paths' recent uses are remembered: bounded, as a long-running process meets ever new files. */
  get rememberedUses(): number {
    return this.lastUsed.size;
  }

  /** The cached path for `key`, calling `download(tempPath)` to fill it when absent. */
  async get(key: CacheKey, download: (tempPath: string) => Promise<void>): Promise<string> {
    const path = this.pathFor(key);
    const now = this.now();
    // The LRU order on disk (mtime) is kept to the grace period: touching a file on every hit
    // cost a syscall per file of every scan.
    const touch = now - (this.lastUsed.get(path) ?? -Infinity) >= RECENT_USE_GRACE_MS;
    this.lastUsed.set(path, now);
    if (this.lastUsed.size > this.forgetUsesAt) this.forgetOldUses(now);
    const pending = this.inFlight.get(path);
    if (pending) return pending;
    const work = this.fill(path, key, download, touch).finally(() => this.inFlight.delete(path));
    this.inFlight.set(path, work);
    return work;
  }

  pathFor(key: CacheKey): string {
    const digest = createHash('sha256').update(`${key.location}\0${key.size}\0${key.etag}`).digest('hex');
    // Keep the extension: DuckDB picks a reader by it.
    return join(this.directory, `${digest}${extname(new URL(key.location, 'file:///').pathname).slice(0, 16)}`);
  }

  private async fill(path: string, key: CacheKey, download: (tempPath: string) => Promise<void>, touch: boolean): Promise<string> {
    // Synchronously, as LocalFileIO checks a local file: the thread pool's round trip costs more
    // than the stat, and a plan looks up hundreds of entries.
    const existing = statOrUndefined(path);
    // Entries are renamed into place whole, so a file under the name is complete.
    if (existing !== undefined && (key.size === undefined || existing.size === key.size)) {
      if (touch) {
        const now = new Date();
        await utimes(path, now, now).catch(() => undefined); // LRU order is by mtime
      }
      return path;
    }
    await mkdir(this.directory, { recursive: true });
    const temp = `${path}.${randomUUID()}.part`;
    try {
      await download(temp);
      await rename(temp, path);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    await this.evict(path);
    return path;
  }

  private forgetOldUses(now: number): void {
    for (const [path, usedAt] of this.lastUsed) if (now - usedAt >= RECENT_USE_GRACE_MS) this.lastUsed.delete(path);
    // Doubling keeps the sweeps' cost per use constant while many uses are recent.
    this.forgetUsesAt = Math.max(FORGET_USES_AT, 2 * this.lastUsed.size);
  }

  private async evict(keep: string): Promise<void> {
    const entries = [];
    let total = 0;
    for (const name of await readdir(this.directory).catch(() => [] as string[])) {
      if (name.endsWith('.part')) continue;
      const path = join(this.directory, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) continue;
      total += info.size;
      entries.push({ path, size: info.size, mtimeMs: info.mtimeMs });
    }
    if (total <= this.maxBytes) return;
    const now = this.now();
    for (const entry of entries.sort((a, b) => a.mtimeMs - b.mtimeMs)) {
      if (total <= this.maxBytes) break;
      if (entry.path === keep || now - (this.lastUsed.get(entry.path) ?? -Infinity) < RECENT_USE_GRACE_MS) continue;
      await unlink(entry.path).catch(() => undefined);
      this.lastUsed.delete(entry.path);
      total -= entry.size;
    }
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
