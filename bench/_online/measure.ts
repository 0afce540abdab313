/** Latency figures from a list of durations (ms). */
export interface LatencyFigures {
  readonly requests: number;
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly p99_ms: number;
  readonly rps: number;
}

export function figures(durations: readonly number[], elapsedMs: number): LatencyFigures {
  const sorted = [...durations].sort((a, b) => a - b);
  const at = (quantile: number): number => round(sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? NaN);
  return { requests: sorted.length, p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99), rps: round((sorted.length / elapsedMs) * 1000) };
}

/** Runs `request` one after another until `maxRequests` or `maxMs`, whichever comes first. */
export async function sequential(
  request: (index: number) => Promise<unknown>,
  limits: { maxRequests: number; maxMs: number },
): Promise<LatencyFigures> {
  const durations: number[] = [];
  const started = performance.now();
  for (let index = 0; index < limits.maxRequests && performance.now() - started < limits.maxMs; index++) {
    const begin = performance.now();
    await request(index);
    durations.push(performance.now() - begin);
  }
  return figures(durations, performance.now() - started);
}

/** Deterministic keys: request i asks for `count` entity ids in [1, entities]. */
export function keysFor(index: number, count: number, entities: number): number[] {
  const keys: number[] = [];
  let state = (index + 1) * 2_654_435_761;
  for (let k = 0; k < count; k++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    keys.push(1 + (state % entities));
  }
  return keys;
}

export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
