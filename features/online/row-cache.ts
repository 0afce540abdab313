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

/** The memory a held row of narrow features takes, at most: such a row weighs one row in the cache. */
const NARROW_ROW_BYTES = 256;
/** A decoded number in a held row: a list of floats is held as an array of doubles. */
const DECODED_VALUE_BYTES = 8;

/**
 * How many cache rows one row of a data file weighs, by the memory its decoded row takes: 1 for
 * rows of scalar features, more for wide ones (a 768-float embedding is ~6 KB held). Its size in
 * the file says too little (dictionary-encoded floats take a tenth of that there), so the file's
 * value counts (a list's elements each counted) say how many values a row holds; a file written
 * without them is weighed by its bytes per row.
 */
export function fileRowWeight(file: {
  readonly fileSizeInBytes: number;
  readonly recordCount: number;
  readonly valueCounts?: ReadonlyMap<number, number>;
}): number {
  const rows = Math.max(1, file.recordCount);
  let values = 0;
  for (const count of file.valueCounts?.values() ?? []) values += count;
  const bytesPerRow = Math.max(file.fileSizeInBytes / rows, (values * DECODED_VALUE_BYTES) / rows);
  return Math.max(1, Math.round(bytesPerRow / NARROW_ROW_BYTES));
}
