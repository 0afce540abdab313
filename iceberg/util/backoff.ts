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

/** Waits `ms`; a `signal` that aborts first ends the wait, rejecting with its reason. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return new Promise<void>((resolve) => setTimeout(resolve, ms));
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}
