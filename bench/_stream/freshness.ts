/**
 * End-to-end freshness of bench/stream.ts: probes produced among the steady events, each on a
 * driver of its own, and `floe serve` asked for every probe not seen yet every few milliseconds.
 * A probe's freshness is from its hand-over to the producer to the first answer holding it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { askServer } from '../_online/compare-answers.js';
import { listening } from '../_online/floe-server.js';
import { onlineFeature, StreamProcesses } from './floe-stream.js';
import type { StreamCase } from './floe-stream.js';
import { createTopic, messagesIn, PROBE_BASE, probeDriver, steadyTopic, topicEnds } from './topic.js';
import type { SteadySettings } from './topic.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const floe = path.join(here, '..', '..', 'bin', 'floe.js');
const POLL_MS = 20;
/** One request asks for at most this many probes. */
const PROBES_PER_ASK = 200;

export async function startServe(project: string, refreshIntervalMs: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [floe, 'serve', '--project', project, '--port', '0', '--json', '--refresh-interval-ms', String(refreshIntervalMs)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return { url: await listening(child), child };
}

/** Follows probes as they are produced (`produced`, filled by the producer) until `done()` and all are seen, or `graceMs` after done. */
export class ProbeFollower {
  readonly produced = new Map<number, number>();
  readonly seen = new Map<number, number>();

  constructor(
    private readonly url: string,
    private readonly feature: string,
  ) {}

  async follow(done: () => boolean, graceMs: number): Promise<void> {
    let doneAt: number | undefined;
    for (;;) {
      const waiting = [...this.produced.keys()].filter((index) => !this.seen.has(index)).slice(0, PROBES_PER_ASK);
      if (done()) {
        doneAt ??= Date.now();
        if (waiting.length === 0 || Date.now() - doneAt > graceMs) return;
      }
      if (waiting.length > 0) {
        const answer = await askServer(this.url, { features: [this.feature], entities: { driver_id: waiting.map(probeDriver) } });
        const now = Date.now();
        const values = answer.results[1]?.values ?? [];
        waiting.forEach((index, row) => {
          if (Number(values[row]) === PROBE_BASE + index) this.seen.set(index, now);
        });
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** Milliseconds from produced to served, per probe seen; and how many were never seen. */
  freshness(): { samples: number[]; unseen: number } {
    const samples = [...this.seen].map(([index, at]) => at - this.produced.get(index)!);
    return { samples, unseen: this.produced.size - this.seen.size };
  }
}

export interface FreshnessFigures {
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  /** Probes seen, and produced but never seen. */
  readonly probes: number;
  readonly unseen: number;
}

/** p50/p99/max of freshness samples (ms). */
export function freshnessFigures(samples: readonly number[]): Omit<FreshnessFigures, 'unseen'> {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? NaN;
  return { p50_ms: at(0.5), p99_ms: at(0.99), max_ms: sorted.at(-1) ?? NaN, probes: sorted.length };
}

/**
 * Freshness of one stream case: a steady run with probes into its topic, one `floe stream` process,
 * and `floe serve` (asking the catalog every `serveRefreshMs`) followed for each probe: produced → served.
 */
export async function floeFreshness(
  project: string,
  settings: SteadySettings & { readonly serveRefreshMs: number },
  streamCase: StreamCase,
  log: (message: string) => void,
): Promise<{ freshness: FreshnessFigures; steady: { messages: number; events: number } }> {
  log(
    `freshness: ${settings.perSecond.toLocaleString()} events/s for ${settings.steadySeconds} s, a probe every ${settings.probeEveryMs} ms`,
  );
  await createTopic(settings.brokers, streamCase.topic, settings.partitions);
  const serve = await startServe(project, settings.serveRefreshMs);
  const consumer = new StreamProcesses(project, streamCase.name);
  try {
    consumer.start(1);
    while (consumer.firstResumeAt === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    const follower = new ProbeFollower(serve.url, onlineFeature(streamCase));
    let produced = false;
    const following = follower.follow(() => produced, 30_000);
    const steady = await steadyTopic(settings, streamCase.topic, (index, at) => follower.produced.set(index, at));
    produced = true;
    const ends = await topicEnds(settings.brokers, streamCase.topic, settings.partitions);
    await following;
    await consumer.until(ends, 120_000);
    const { samples, unseen } = follower.freshness();
    const freshness = { ...freshnessFigures(samples), unseen };
    log(`Floe freshness (produced → served): ${JSON.stringify(freshness)}`);
    return { freshness, steady: { messages: messagesIn(ends), events: steady.events } };
  } finally {
    await consumer.stop();
    serve.child.kill('SIGTERM');
  }
}
