/**
 * Rows of recently read data files, by file (files never change once written), least recently
 * used dropped first once more than `maxRows` rows are held (an entry's `size`: keys of a plain
 * view's file, tile rows of an aggregated view's). A file being loaded is shared by every read
 * that needs it meanwhile.
 */
/** What the cache holds per file; `size` is its weight in rows. */
export interface CachedRows {
  readonly size: number;
}

export class RowCache {
  private readonly entries = new Map<string, CachedRows>();
  private readonly loading = new Map<string, Promise<CachedRows>>();
  private rows = 0;
  hits = 0;
  loads = 0;

  constructor(private readonly maxRows: number) {}

  /** A file's rows: OnlineRows by key lookup, or (aggregated views, cached under their own keys) its FileTiles. */
  async get<T extends CachedRows>(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.entries.get(key) as T | undefined;
    if (cached) {
      this.hits++;
      // Re-inserting moves the entry to the most recently used end.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    const pending = this.loading.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const promise = load()
      .then((rows) => {
        this.loads++;
        this.entries.set(key, rows);
        this.rows += rows.size;
        this.evict(key);
        return rows;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, promise);
    return promise;
  }

  /**
   * Whether a file of `rows` rows is worth holding: one larger than a quarter of the capacity would
   * push out most of what is held (and a table of such files would be read whole on nearly every
   * read), so reads take only their keys from it instead.
   */
  holdsFilesOf(rows: number): boolean {
    return rows <= this.maxRows / 4;
  }

  get size(): { files: number; rows: number } {
    return { files: this.entries.size, rows: this.rows };
  }

  clear(): void {
    this.entries.clear();
    this.rows = 0;
  }

  private evict(keep: string): void {
    for (const [key, rows] of this.entries) {
      if (this.rows <= this.maxRows) return;
      if (key === keep) continue;
      this.entries.delete(key);
      this.rows -= rows.size;
    }
  }
}
