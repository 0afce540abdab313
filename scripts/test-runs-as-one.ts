/**
 * The events of several node:test runs, one after another, as the events of one run: a lane of
 * `npm test` runs each file handed to it as a run of its own (run-test-files.ts), and its reporters
 * must print one summary, as for one run. Each run ends with events of no file at nesting 0 — its
 * plan, its counts (`test:diagnostic` lines such as `tests 5`) and its `test:summary`; those are held
 * back and given once at the end, summed.
 */
import type { TestEvent } from 'node:test/reporters';

/** The counts a run ends with, in the order Node's runner gives them. */
const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;

type SummaryEvent = Extract<TestEvent, { type: 'test:summary' }>;

export async function* runsAsOne(runs: AsyncIterable<AsyncIterable<TestEvent>>): AsyncGenerator<TestEvent> {
  const started = performance.now();
  const counts = new Map<string, number>(COUNTS.map((name) => [name, 0]));
  let planned = 0;
  let summary: SummaryEvent['data'] | undefined;
  for await (const run of runs) {
    for await (const event of run) {
      if (!closesTheRun(event)) {
        yield event;
        continue;
      }
      if (event.type === 'test:plan') planned += event.data.count;
      else if (event.type === 'test:diagnostic') {
        const [name, value] = event.data.message.split(' ');
        if (name !== undefined && counts.has(name)) counts.set(name, counts.get(name)! + Number(value));
      } else if (event.type === 'test:summary') summary = summed(summary, event.data);
    }
  }
  const durationMs = performance.now() - started;
  yield { type: 'test:plan', data: { nesting: 0, count: planned } } as TestEvent;
  for (const [name, value] of [...counts, ['duration_ms', durationMs] as const])
    yield { type: 'test:diagnostic', data: { nesting: 0, message: `${name} ${value}`, level: 'info' } } as TestEvent;
  yield {
    type: 'test:summary',
    data: { ...(summary ?? { success: true, counts: emptyCounts() }), duration_ms: durationMs },
  } as TestEvent;
}

/** A run's own closing events: of no file, at the top level. */
function closesTheRun(event: TestEvent): boolean {
  if (event.type !== 'test:plan' && event.type !== 'test:diagnostic' && event.type !== 'test:summary') return false;
  const data = event.data as { nesting?: number; file?: string };
  return data.file === undefined && (data.nesting ?? 0) === 0;
}

function summed(total: SummaryEvent['data'] | undefined, next: SummaryEvent['data']): SummaryEvent['data'] {
  if (total === undefined) return next;
  const counts = { ...total.counts };
  for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] += next.counts[key];
  return { ...total, success: total.success && next.success, counts };
}

function emptyCounts(): SummaryEvent['data']['counts'] {
  // Node's runner counts failed tests too; @types/node leaves that count out.
  return { tests: 0, failed: 0, passed: 0, cancelled: 0, skipped: 0, todo: 0, topLevel: 0, suites: 0 } as SummaryEvent['data']['counts'];
}
