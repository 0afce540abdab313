/**
 * Following a long workflow from the command line: a progress bar on a terminal (a line per change
 * otherwise) fed by the workflow's `progress` query, and Ctrl-C that leaves the workflow running
 * and says how to come back to it.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import cliProgress from 'cli-progress';
import type { TemporalConfig } from '../features/temporal-config.js';
import { defined } from '../contracts/defined.js';

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
  /** Where the workflow runs, for the lines Ctrl-C prints. */
  readonly where: WorkflowWhereabouts;
}

export type Followed<R> = { readonly detached: false; readonly result: R } | { readonly detached: true };

/** Where a workflow runs, for the lines that say how to come back to it. */
export interface WorkflowWhereabouts {
  readonly address: string;
  readonly namespace: string;
  readonly tls: boolean;
  readonly apiKey: boolean;
  /** The Temporal Web UI's workflow list (`…/namespaces/<ns>/workflows`), when it is known: a `floe dev` of the project serves it. */
  readonly workflowsPage?: string;
}

/** Where the project's workflows run: floe.yaml's `temporal`, and the Web UI of the project's `floe dev` when it runs there. */
export async function workflowWhereabouts(project: {
  readonly directory: string;
  readonly config: { readonly temporal: TemporalConfig };
}): Promise<WorkflowWhereabouts> {
  const { address, namespace, tls, apiKey } = project.config.temporal;
  const { runningDev } = await import('./dev-lock.js');
  const dev = await runningDev(path.join(project.directory, '.floe'));
  // The lock names the workflow list once dev is ready (before, the UI's root).
  const workflowsPage =
    dev?.temporalAddress === address && dev.temporalUi.endsWith(`/namespaces/${namespace}/workflows`) ? dev.temporalUi : undefined;
  return { address, namespace, tls: tls !== undefined, apiKey: apiKey !== undefined && apiKey !== '', ...defined({ workflowsPage }) };
}

/**
 * What Ctrl-C leaves running and how to come back to it: the workflow ids, the command line that
 * follows them again (this one: the ids it derives are the same), the Temporal CLI command that
 * cancels each, and each one's Web UI page when known.
 */
export function detachedMessage(what: string, workflowIds: readonly string[], where: WorkflowWhereabouts, again = commandLine()): string {
  const cancel = (workflowId: string): string =>
    [
      'temporal workflow cancel',
      `--workflow-id ${shellQuote(workflowId)}`,
      `--namespace ${shellQuote(where.namespace)}`,
      `--address ${shellQuote(where.address)}`,
      ...(where.tls ? ['--tls'] : []),
      ...(where.apiKey ? ['--api-key "$FLOE_TEMPORAL_API_KEY"'] : []),
    ].join(' ');
  const several = workflowIds.length > 1;
  return [
    `Stopped following: the ${what} goes on as workflow${several ? 's' : ''} ${workflowIds.join(', ')} (Temporal ${where.address}, namespace ${where.namespace}).`,
    `  follow it again: ${again}`,
    ...workflowIds.map((workflowId) => `  cancel it${several ? ` (${workflowId})` : ''}: ${cancel(workflowId)}`),
    ...(where.workflowsPage === undefined
      ? []
      : workflowIds.map((workflowId) => `  watch it: ${where.workflowsPage}/${encodeURIComponent(workflowId)}`)),
  ].join('\n');
}

/** Resolves with `work`'s outcome, or `{ detached: true }` at a Ctrl-C that comes first (which then ends nothing). */
export async function unlessInterrupted<R>(work: Promise<R>): Promise<Followed<R>> {
  let onInterrupt!: () => void;
  const interruption = new Promise<{ detached: true }>((resolve) => (onInterrupt = () => resolve({ detached: true })));
  process.once('SIGINT', onInterrupt);
  try {
    return await Promise.race([work.then((result) => ({ detached: false as const, result })), interruption]);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

/**
 * Waits for the workflow's result while showing its progress. Ctrl-C stops following but not the
 * workflow: it resolves `{ detached: true }` after printing how to come back to it (detachedMessage).
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
    console.error(detachedMessage(options.what, [handle.workflowId], options.where));
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
