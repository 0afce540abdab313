// A second process that loads the feature server: `connections` loops posting Feast-shaped
// requests of `keys` random entity ids for `seconds`, then ONE JSON line of latency figures.
// Only loopback addresses are accepted, and the run is bounded in time and count.
import { figures, keysFor } from './measure.js';

const [url, keysText, entitiesText, secondsText, connectionsText, feature] = process.argv.slice(2);
if (!url || !feature || !/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) {
  console.error('usage: load-generator.ts http://127.0.0.1:PORT KEYS ENTITIES SECONDS CONNECTIONS view:feature');
  process.exit(2);
}
const keys = Number(keysText);
const entities = Number(entitiesText);
const durationMs = Number(secondsText) * 1000;
const connections = Number(connectionsText);
const MAX_REQUESTS = 200_000;

const durations: number[] = [];
let errors = 0;
let next = 0;
const started = performance.now();
async function loop(): Promise<void> {
  while (performance.now() - started < durationMs && next < MAX_REQUESTS) {
    const index = next++;
    const body = JSON.stringify({ features: [feature], entities: { driver_id: keysFor(index + 1_000_000, keys, entities) } });
    const begin = performance.now();
    const response = await fetch(`${url}/get-online-features`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    durations.push(performance.now() - begin);
    if (response.status !== 200) errors++;
  }
}
await Promise.all(Array.from({ length: connections }, loop));
console.log(JSON.stringify({ ...figures(durations, performance.now() - started), errors, connections }));
