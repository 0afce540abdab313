/**
 * A weighted semaphore: holders take some of a fixed capacity (body bytes, entity rows) and give it
 * back when done; whoever does not fit waits. Waiters are admitted in arrival order but a smaller
 * one that fits may pass a larger one that does not, so a one-row request is not stuck behind a
 * queue of large ones. A weight above the capacity is taken as the whole capacity.
 */
export class Budget {
  private used = 0;
  private readonly waiting: { weight: number; admit: () => void }[] = [];

  constructor(readonly capacity: number) {}

  /** Resolves once `weight` is held, with the function that gives it back (idempotent). */
  async take(weight: number): Promise<() => void> {
    const held = Math.max(0, Math.min(weight, this.capacity));
    // Whoever waits did not fit at the last release: a newcomer that fits now is admitted.
    if (this.used + held <= this.capacity) this.used += held;
    else await new Promise<void>((admit) => this.waiting.push({ weight: held, admit }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= held;
      this.admitWaiting();
    };
  }

  private admitWaiting(): void {
    for (let index = 0; index < this.waiting.length;) {
      const waiter = this.waiting[index]!;
      if (this.used + waiter.weight > this.capacity) {
        index++;
        continue;
      }
      this.used += waiter.weight;
      this.waiting.splice(index, 1);
      waiter.admit();
    }
  }
}
