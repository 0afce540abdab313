/**
 * Following a long workflow from the command line: a progress bar on a terminal (a line per change
 * otherwise) fed by the workflow's `progress` query, and Ctrl-C that leaves the workflow running
 * and says how to come back to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import cliProgress from 'cli-progress';

/** The shell's code for "stopped by Ctrl-C". */
export const EXIT_INTERRUPTED = 130;

export interface ProgressView {
  /** Chunks in all; undefined while the workflow has not counted them (planning). */
  readonly total: number | undefined;
  readonly done: number;
  /** The bar's fields beside `count`. */
  readonly fields: Readonly<Record<string, string | number>>;
  /** The same, as the end of a line for logs (after the count). */
  readonly line: string;
}

/** `3/10 chunks`, or, before the workflow has counted them, that it has not (never `0/0`). */
export function chunkCount(done: number, total: number | undefined): string {
  if (total !== undefined) return `${done}/${total} chunks`;
  return done === 0 ? 'chunks not counted yet' : `${done} chunks done, total not known yet`;
}

export interface FollowOptions<P> {
  /** `backfill`, `training set`: how the messages call the workflow. */
  readonly what: string;
  /** Whether to show progress at all (not with --json). */
  readonly showProgress: boolean;
  /** cli-progress format; `{bar}`, `{count}` (chunkCount) and the fields of `view`. */
  readonly barFormat: string;
  /** The bar's fields before the first progress arrives. */
  readonly initialFields: Readonly<Record<string, string | number>>;
  readonly view: (progress: P) => ProgressView;
}

export type Followed<R> = { readonly detached: false; readonly result: R } | { readonly detached: true };

/**
 * Waits for the workflow's result while showing its progress. Ctrl-C stops following but not the
 * workflow: it resolves `{ detached: true }` after printing the workflow id and the command that
 * reattaches (this same command line: the workflow id it derives is the same).
 */
export async function followWorkflow<R, P>(handle: WorkflowHandle, options: FollowOptions<P>): Promise<Followed<R>> {
  const result = handle.result() as Promise<R>;
  let finished = false;
  void result.finally(() => (finished = true)).catch(() => undefined);
  let interrupted!: () => void;
  const interruption = new Promise<void>((resolve) => (interrupted = resolve));
  let detached = false;
  const onInterrupt = (): void => {
    detached = true;
    interrupted();
  };
  process.once('SIGINT', onInterrupt);
  const bar =
    options.showProgress && process.stderr.isTTY === true
      ? new cliProgress.SingleBar(
          { format: options.barFormat, hideCursor: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  let lastLine = '';
  try {
    if (options.showProgress)
      console.error(`Following ${options.what} ${handle.workflowId} (Ctrl-C stops following; the workflow goes on)`);
    bar?.start(1, 0, { ...options.initialFields, count: chunkCount(0, undefined) });
    while (!finished && !detached) {
      const progress = options.showProgress ? await handle.query<P>('progress').catch(() => undefined) : undefined;
      if (progress !== undefined && !detached) {
        const view = options.view(progress);
        const count = chunkCount(view.done, view.total);
        const line = `${count}, ${view.line}`;
        if (bar) {
          bar.setTotal(Math.max(1, view.total ?? 0));
          bar.update(view.total === undefined ? 0 : view.done, { ...view.fields, count });
        } else if (line !== lastLine) {
          console.error(`${options.what} ${handle.workflowId}: ${line}`);
          lastLine = line;
        }
      }
      await Promise.race([sleep(1_000), result.catch(() => undefined), interruption]);
    }
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onInterrupt);
  }
  if (detached) {
    console.error(`The ${options.what} goes on as workflow ${handle.workflowId}; \`${commandLine()}\` reattaches`);
    return { detached: true };
  }
  return { detached: false, result: await result };
}

/** This process's command line as the user can run it again: `floe` and its quoted arguments. */
export function commandLine(argv: readonly string[] = process.argv.slice(2)): string {
  return ['floe', ...argv.map(shellQuote)].join(' ');
}

export function shellQuote(argument: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}
