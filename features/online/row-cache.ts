/**
 * Rows of recently read data files, by file (files never change once written), least recently
 * used dropped first once more than `maxRows` rows are held. A file being loaded is shared by
 * every read that needs it meanwhile.
 */
export class RowCache {
  private readonly entries = new Map<string, ReadonlyMap<string, unknown>>();
  private readonly loading = new Map<string, Promise<ReadonlyMap<string, unknown>>>();
  private rows = 0;
  hits = 0;
  loads = 0;

  constructor(private readonly maxRows: number) {}

  /** A file's rows by key lookup: an OnlineRow per key, or (aggregated views, cached under their own keys) TileRows. */
  async get<T extends ReadonlyMap<string, unknown>>(key: string, load: () => Promise<T>): Promise<T> {
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
