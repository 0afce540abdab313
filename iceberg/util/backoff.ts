/** The bounds of the waits between retries: the commit loop's and the REST client's. */
export interface BackoffWindow {
  readonly minWaitMs: number;
  readonly maxWaitMs: number;
}

/**
 * The wait before retry number `retry` (1-based): exponential from min-wait, capped at max-wait,
 * with "equal jitter" (half fixed, half random) so writers that collided do not collide again.
 */
export function backoffMs(retry: number, window: BackoffWindow, random: () => number = Math.random): number {
  const exponential = Math.min(window.maxWaitMs, window.minWaitMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
