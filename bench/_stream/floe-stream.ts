/**
 * Floe's side of bench/stream.ts: a project with one stream source per measurement (its own topic,
 * source table and online view), `floe stream` processes started the way a user starts them, and
 * their `--json` batch lines followed until every partition's end has landed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AggregationInput } from '../../features/aggregations.js';
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const floe = path.join(root, 'bin', 'floe.js');

/**
 * One stream source of the project: `<name>` reads `topic` into bench.<name> and, unless
 * `offlineOnly`, the online view `<name>_live` (with `aggregations`, an aggregated view of them instead).
 */
export interface StreamCase {
  readonly name: string;
  readonly topic: string;
  /** No feature view is fed: the stream lands in the source table only, the job the Kafka Connect sink does. */
  readonly offlineOnly?: boolean;
  /** The view aggregates the events (a real-time aggregated view, read at request time). */
  readonly aggregations?: readonly AggregationInput[];
}

export function sourceTable(name: string): string {
  return `bench.${name}`;
}

export function onlineTable(name: string): string {
  return `floe_online.${name}_live`;
}

/** The view's feature a probe is looked for by: `trips` (an aggregated view: the `last` of its trips over its first window). */
export function onlineFeature(streamCase: StreamCase): string {
  const aggregation = streamCase.aggregations?.find((candidate) => candidate.column === 'trips' && candidate.functions.includes('last'));
  return `${viewName(streamCase.name)}:${aggregation === undefined ? 'trips' : `trips_last_${aggregation.windows[0]!}`}`;
}

export function viewName(name: string): string {
  return `${name}_live`;
}

export async function writeStreamProject(
  directory: string,
  options: { catalog: CatalogConfig; brokers: readonly string[]; cases: readonly StreamCase[]; maxRows: number; maxDelayMs: number },
): Promise<void> {
  await mkdir(directory, { recursive: true });
  const module = (name: string) => JSON.stringify(path.join(root, 'features', name));
  const definitions = options.cases.map((streamCase) => caseDefinitions(streamCase, options));
  await writeFile(path.join(directory, 'package.json'), '{"type": "module"}\n');
  await writeFile(
    path.join(directory, 'features.ts'),
    `import { defineEntity, defineFeatureView, defineIcebergSource } from ${module('definitions.ts')};
import { definePushSource } from ${module('push-source.ts')};
import { defineStreamSource } from ${module('stream-source.ts')};
export const driver = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
${definitions.join('')}`,
  );
  // JSON is YAML: the catalog section exactly as the benchmark opened it.
  await writeFile(
    path.join(directory, 'floe.yaml'),
    `project: bench_stream\ncatalog: ${JSON.stringify(options.catalog)}\nworkDirectory: work\n`,
  );
}

/** A case's definitions, as features.ts source. */
function caseDefinitions(
  { name, topic, offlineOnly, aggregations }: StreamCase,
  options: { brokers: readonly string[]; maxRows: number; maxDelayMs: number },
): string {
  const stream = `export const ${name}_source = defineIcebergSource({ name: '${name}_source', table: ${JSON.stringify(sourceTable(name))}, timestampField: 'event_timestamp' });
export const ${name}_push = definePushSource({ name: '${name}_push', batchSource: '${name}_source' });
export const ${name} = defineStreamSource({
  name: '${name}',
  pushSource: '${name}_push',
  kafka: { brokers: ${JSON.stringify(options.brokers)}, topic: ${JSON.stringify(topic)} },
  batch: { maxRows: ${options.maxRows}, maxDelayMs: ${options.maxDelayMs} },
});
`;
  if (offlineOnly === true) return stream;
  return `${stream}export const ${name}_live = defineFeatureView({
  name: '${name}_live',
  entities: ['driver'],
  source: '${name}_push',
  ${aggregations === undefined ? "features: [{ name: 'conv_rate', type: 'double' }, { name: 'trips', type: 'long' }]" : `aggregations: ${JSON.stringify(aggregations)}`},
  online: { buckets: 8 },
});
`;
}

/** `floe stream` processes of one stream source, followed through their `--json` lines. */
export class StreamProcesses {
  private readonly children: ChildProcess[] = [];
  private readonly landed = new Map<number, bigint>();
  private readonly output: string[] = [];
  private waiters: (() => void)[] = [];
  /** When the first process said where it resumes (ms, performance.now()). */
  firstResumeAt: number | undefined;
  /** When each batch landed (performance.now()), with its rows. */
  readonly batches: { at: number; rows: number; commitMs: number }[] = [];

  constructor(
    private readonly project: string,
    private readonly stream: string,
  ) {}

  start(count: number): void {
    for (let index = 0; index < count; index++) {
      const child = spawn(process.execPath, [floe, 'stream', this.stream, '--project', this.project, '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.children.push(child);
      let pending = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) this.take(line);
      });
      child.stderr!.on('data', (chunk: Buffer) => this.keep(chunk.toString()));
      child.once('exit', (code, signal) => {
        this.keep(`floe stream ${index} exited (${String(code ?? signal)})`);
        this.wake();
      });
    }
  }

  private keep(text: string): void {
    this.output.push(text.trimEnd());
    if (this.output.length > 50) this.output.shift();
  }

  private take(line: string): void {
    if (!line.startsWith('{')) return this.keep(line);
    const event = JSON.parse(line) as { event: string; rows?: number; commitMs?: number; ends?: Record<string, string> };
    const now = performance.now();
    if (event.event === 'resume') this.firstResumeAt ??= now;
    else if (event.event === 'batch') {
      this.batches.push({ at: now, rows: event.rows ?? 0, commitMs: event.commitMs ?? 0 });
      for (const [partition, next] of Object.entries(event.ends ?? {}))
        if ((this.landed.get(Number(partition)) ?? -1n) < BigInt(next)) this.landed.set(Number(partition), BigInt(next));
      this.wake();
    } else this.keep(line);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Resolves when every partition's end has landed; rejects when every process has exited first or after `timeoutMs`. */
  async until(ends: ReadonlyMap<number, bigint>, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if ([...ends].every(([partition, end]) => (this.landed.get(partition) ?? 0n) >= end)) return performance.now();
      const alive = this.children.some((child) => child.exitCode === null && child.signalCode === null);
      if (!alive || performance.now() > deadline)
        throw new Error(
          `floe stream ${this.stream} did not land every partition's end (${alive ? `within ${timeoutMs} ms` : 'every process exited'}); landed ${JSON.stringify(Object.fromEntries([...this.landed].map(([p, o]) => [p, String(o)])))}, ends ${JSON.stringify(Object.fromEntries([...ends].map(([p, o]) => [p, String(o)])))}:\n${this.output.join('\n')}`,
        );
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 1_000);
      });
    }
  }

  /** Per partition, the offset after the last message landed so far. */
  landedEnds(): ReadonlyMap<number, bigint> {
    return new Map(this.landed);
  }

  /** SIGTERM (each lands what it gathered) and waits for every process. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map((child) =>
        child.exitCode === null && child.signalCode === null
          ? new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            })
          : undefined,
      ),
    );
  }
}
