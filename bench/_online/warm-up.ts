/**
 * A server's untimed warm-up, until its throughput settles: one key a request at 8 connections, in
 * windows of WINDOW_SECONDS, until the last SETTLED_WINDOWS windows' req/s lie within
 * SETTLED_SPREAD of each other (and at least `minSeconds` have passed), or `maxSeconds` have.
 *
 * A fixed warm-up measured a Node server's start instead of the server. V8 tiers a request path up
 * (interpreter, Sparkplug, Maglev, TurboFan) over a fresh floe serve's first ~30k requests: on two
 * cores 3 s of load, one core 5 s, and a slower machine longer still. A 1 s warm-up then timed the
 * rest of it: at 20k entities with every process on one core (`taskset -c 0`), 1 key p99 6.8 ms at
 * 6.1k req/s, where the same server settled at ~1 ms and 8–10k req/s (with V8's optimizing tiers off,
 * it stayed at ~2.6k req/s throughout). Feast's servers (CPython) have no such tiers and settle at once.
 */
import type { LoadFigures, LoadRequest } from './load-generator.js';
import type { LoadProcess } from './load-process.js';
import { round } from './measure.js';

const WINDOW_SECONDS = 1;
const SETTLED_WINDOWS = 3;
/** The largest req/s of the settled windows ÷ their smallest, at most. */
const SETTLED_SPREAD = 1.05;

export interface WarmUp {
  /** Seconds of load until the throughput settled (or the limit). */
  readonly seconds: number;
  readonly settled: boolean;
  /** The first window's figures: a server's cold start, under load. */
  readonly cold: LoadFigures;
  /** The req/s of each window, in order. */
  readonly rps: readonly number[];
}

export async function warmUntilSteady(
  load: Pick<LoadProcess, 'run'>,
  request: Omit<LoadRequest, 'seconds' | 'keys' | 'connections' | 'seed'>,
  limits: { readonly minSeconds: number; readonly maxSeconds: number },
): Promise<WarmUp> {
  const windows: LoadFigures[] = [];
  const started = performance.now();
  for (;;) {
    windows.push(
      await load.run({ ...request, keys: 1, connections: 8, seconds: WINDOW_SECONDS, seed: 900_000_000 + windows.length * 100_000 }),
    );
    const seconds = (performance.now() - started) / 1000;
    const last = windows.slice(-SETTLED_WINDOWS).map((window) => window.rps);
    const settled = last.length === SETTLED_WINDOWS && Math.max(...last) <= SETTLED_SPREAD * Math.min(...last);
    if ((settled && seconds >= limits.minSeconds) || seconds >= limits.maxSeconds)
      return { seconds: round(seconds), settled, cold: windows[0]!, rps: windows.map((window) => window.rps) };
  }
}
