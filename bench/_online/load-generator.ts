// A second process that loads feature servers with autocannon (keep-alive connections, so the
// client is not the bottleneck). For each JSON line on stdin (a LoadRequest), `connections`
// connections post Feast-shaped requests (POST /get-online-features) of `keys` entity ids spread
// over 1…entities, for `seconds` or `maxRequests` requests, whichever comes first; then it writes
// ONE JSON line of latency figures, taken from every answered request's own time (autocannon's
// histogram keeps whole milliseconds only). One process serves a whole benchmark run, so no run
// waits for a Node start. Only loopback addresses are accepted.
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { figures, keysFor } from './measure.js';
import type { LatencyFigures } from './measure.js';

export interface LoadRequest {
  readonly url: string;
  readonly keys: number;
  readonly entities: number;
  readonly seconds: number;
  readonly maxRequests: number;
  readonly connections: number;
  /** `view:feature` references, as Feast's clients name them. */
  readonly features: readonly string[];
  /** Where this run's pseudo-random keys start, so that consecutive runs ask for different keys. */
  readonly seed: number;
  /** Sent with every request besides the Content-Type (a bearer token). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadFigures extends LatencyFigures {
  /** Connection errors, timeouts and answers other than 200. */
  readonly errors: number;
  readonly connections: number;
}

/** The part of autocannon's API used here (it ships no types). */
interface AutocannonInstance extends PromiseLike<{ errors: number; timeouts: number; non2xx: number }> {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void;
}
type Autocannon = (options: {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  connections: number;
  duration: number;
  maxOverallRequests: number;
  sampleInt: number;
  requests: { setupRequest: (request: Record<string, unknown>) => Record<string, unknown> }[];
}) => AutocannonInstance;

async function load(request: LoadRequest): Promise<LoadFigures> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  let next = request.seed;
  const durations: number[] = [];
  const started = performance.now();
  const instance = autocannon({
    url: `${request.url}/get-online-features`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    connections: request.connections,
    duration: request.seconds,
    maxOverallRequests: request.maxRequests,
    // autocannon notices the end of the duration at its next sample: every 100 ms, not every second.
    sampleInt: 100,
    requests: [
      {
        setupRequest: (template) => ({
          ...template,
          body: JSON.stringify({ features: request.features, entities: { driver_id: keysFor(next++, request.keys, request.entities) } }),
        }),
      },
    ],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode === 200) durations.push(responseTimeMs);
  });
  const result = await instance;
  return {
    ...figures(durations, performance.now() - started),
    errors: result.errors + result.timeouts + result.non2xx,
    connections: request.connections,
  };
}

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line) as LoadRequest;
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(request.url)) {
    console.error(`the load generator only loads loopback servers (http://127.0.0.1:PORT), not ${JSON.stringify(request.url)}`);
    process.exit(2);
  }
  console.log(JSON.stringify(await load(request)));
}
