/**
 * A reporter for Node's test runner: one JSON line per test file, `{"file", "ms"}`, written as the
 * file finishes, with its wall time as the runner measured it (the file's subprocess from start to
 * end, set-up and `before` hooks included). Node 20 reports a finished file as a `test:complete`
 * event named by the file's own path. Read by scripts/test-file-times.ts.
 */
import { EventEmitter } from 'node:events';
import type { TestEvent } from 'node:test/reporters';

// A third reporter puts 11 'end' listeners on the runner's event stream, one past Node's warning
// threshold for a leak; this module loads only in the runner's parent process (no test runs there).
EventEmitter.defaultMaxListeners = Math.max(EventEmitter.defaultMaxListeners, 20);

export default async function* fileTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== 'test:complete') continue;
    const { file, name, details } = event.data;
    if (file === undefined || name !== file) continue;
    yield `${JSON.stringify({ file, ms: Math.round(details.duration_ms) })}\n`;
  }
}
