import { randomUUID } from 'node:crypto';
import type * as arrow from 'apache-arrow';

/** An entity table Feast uploaded with do_put, waiting for the get_flight_info and do_get that read it. */
export interface PendingUpload {
  readonly command: string;
  /** Who uploaded it (their shown name), or undefined without server.auth: only they may redeem its ticket. */
  readonly caller: string | undefined;
  readonly table: arrow.Table;
  readonly ticket: string;
  readonly expiresAt: number;
}

/**
 * Feast's older remote offline store client (before 0.67) reads in three calls: do_put of the
 * entity rows under a command descriptor, get_flight_info of that descriptor, do_get of the ticket
 * it answers. The uploads wait here in between: a bounded number, each for a bounded time, each
 * ticket redeemed once.
 */
export class PendingUploads {
  private readonly byCommand = new Map<string, PendingUpload>();

  constructor(
    private readonly limits: { readonly maxUploads: number; readonly ttlMs: number } = { maxUploads: 64, ttlMs: 10 * 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  add(command: string, caller: string | undefined, table: arrow.Table): void {
    this.expire();
    this.byCommand.delete(command);
    // The oldest goes first when full (a Map keeps insertion order).
    while (this.byCommand.size >= this.limits.maxUploads) this.byCommand.delete(this.byCommand.keys().next().value!);
    this.byCommand.set(command, { command, caller, table, ticket: randomUUID(), expiresAt: this.now() + this.limits.ttlMs });
  }

  /** The upload under a command, if its uploader asks. */
  find(command: string, caller: string | undefined): PendingUpload | undefined {
    this.expire();
    const upload = this.byCommand.get(command);
    return upload !== undefined && upload.caller === caller ? upload : undefined;
  }

  /** Takes the upload a ticket names, once, if its uploader redeems it. */
  redeem(ticket: string, caller: string | undefined): PendingUpload | undefined {
    this.expire();
    for (const upload of this.byCommand.values()) {
      if (upload.ticket !== ticket || upload.caller !== caller) continue;
      this.byCommand.delete(upload.command);
      return upload;
    }
    return undefined;
  }

  private expire(): void {
    const now = this.now();
    for (const [command, upload] of this.byCommand) if (upload.expiresAt <= now) this.byCommand.delete(command);
  }
}
