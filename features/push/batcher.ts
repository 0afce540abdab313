/**
 * Group commit: items are gathered until the first of them has waited `maxDelayMs` or they hold
 * `maxRows` rows, then handed to `flush` together. One flush runs at a time (its commits would
 * only conflict with each other's); what arrives meanwhile forms the next batch.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private pendingRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private due = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly options: { readonly maxDelayMs: number; readonly maxRows: number },
  ) {}

  /** Rows gathered and not yet handed to a flush. */
  get waitingRows(): number {
    return this.pendingRows;
  }

  add(item: T, rows: number): void {
    this.pending.push(item);
    this.pendingRows += rows;
    if (this.pendingRows >= this.options.maxRows) this.markDue();
    else if (this.timer === undefined && !this.due) this.timer = setTimeout(() => this.markDue(), this.options.maxDelayMs);
  }

  /** Flushes what is pending now and waits until every flush has finished. */
  async drain(): Promise<void> {
    while (this.running !== undefined || this.pending.length > 0) {
      if (this.pending.length > 0) this.markDue();
      await this.running;
    }
  }

  private markDue(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = true;
    this.start();
  }

  private start(): void {
    if (this.running !== undefined || !this.due || this.pending.length === 0) return;
    this.due = false;
    const items = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    // flush answers every item itself, failures included.
    this.running = this.flush(items)
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        this.start();
      });
  }
}
