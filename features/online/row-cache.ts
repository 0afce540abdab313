/**
 * Rows of recently read data files, by file (files never change once written), least recently
 * used dropped first once more than `maxRows` rows are held (an entry's `size`: keys of a plain
 * view's file, tile rows of an aggregated view's). A file being loaded is shared by every read
 * that needs it meanwhile.
 */
import { LRUCache } from 'lru-cache';

/** What the cache holds per file; `size` is its weight in rows. */
export interface CachedRows {
  readonly size: number;
}

type Load = () => Promise<CachedRows>;

export class RowCache {
  private readonly entries: LRUCache<string, CachedRows, Load>;
  hits = 0;
  loads = 0;

  constructor(private readonly maxRows: number) {
    this.entries = new LRUCache({
      maxSize: Math.max(1, maxRows),
      sizeCalculation: (rows) => Math.max(1, rows.size),
      fetchMethod: async (_key, _stale, { context: load }) => {
        const rows = await load();
        this.loads++;
        return rows;
      },
    });
  }

  /**
   * A file's rows: OnlineRows by key lookup, or (aggregated views, cached under their own keys) its
   * FileTiles; each row weighing `rowWeight` rows (fileRowWeight), so wide rows bound memory too.
   */
  async get<T extends CachedRows>(key: string, load: () => Promise<T>, rowWeight = 1): Promise<T> {
    const status: LRUCache.Status<string, CachedRows, Load> = {};
    // fetch() shares one load between concurrent reads and keeps nothing when the load fails.
    const rows = (await this.entries.fetch(key, {
      context: load,
      status,
      sizeCalculation: (held) => Math.max(1, held.size * rowWeight),
    })) as T;
    if (status.fetch === 'hit') this.hits++;
    return rows;
  }

  /**
   * Whether a file of `rows` rows is worth holding: one larger than a quarter of the capacity would
   * push out most of what is held (and a table of such files would be read whole on nearly every
   * read), so reads take only their keys from it instead.
   */
  holdsFilesOf(rows: number, rowWeight = 1): boolean {
    return rows * rowWeight <= this.maxRows / 4;
  }

  get size(): { files: number; rows: number } {
    return { files: this.entries.size, rows: this.entries.calculatedSize };
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Bytes a row of narrow features takes in a data file, at most: such a row weighs one row in the cache. */
const NARROW_ROW_BYTES = 256;

/**
 * How many cache rows one row of a data file weighs, by the file's bytes per row: 1 for rows of
 * scalar features (tens of bytes), more for wide ones (a 768-float embedding is ~3 KB a row), so
 * that a bound of 2M rows does not become gigabytes of embeddings.
 */
export function fileRowWeight(file: { readonly fileSizeInBytes: number; readonly recordCount: number }): number {
  return Math.max(1, Math.round(file.fileSizeInBytes / Math.max(1, file.recordCount) / NARROW_ROW_BYTES));
}
