/**
 * Reads the counts out of Node's TAP reporter output (the `# pass N` … lines it ends with) and
 * formats the closing line CI reads: `N passed, N failed` (`, N skipped` when any were).
 */
export interface TestCounts {
  tests: number;
  passed: number;
  failed: number;
  cancelled: number;
  skipped: number;
  todo: number;
}

const KEYS = { tests: 'tests', pass: 'passed', fail: 'failed', cancelled: 'cancelled', skipped: 'skipped', todo: 'todo' } as const;

/** The run's totals, or undefined when the output has no summary (the runner crashed). */
export function parseTapSummary(tap: string): TestCounts | undefined {
  const found: Partial<Record<keyof TestCounts, number>> = {};
  // The totals are the last unindented `# key N` lines; indented ones belong to nested subtests.
  for (const line of tap.split('\n')) {
    const match = /^# (tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$/.exec(line);
    if (!match?.[1] || !match[2]) continue;
    found[KEYS[match[1] as keyof typeof KEYS]] = Number(match[2]);
  }
  const { tests, passed, failed } = found;
  if (tests === undefined || passed === undefined || failed === undefined) return undefined;
  return { tests, passed, failed, cancelled: found.cancelled ?? 0, skipped: found.skipped ?? 0, todo: found.todo ?? 0 };
}

/** Cancelled tests (a timeout, a crashed file) count as failed; todo tests as skipped. */
export function summaryLine(counts: { passed: number; failed: number; cancelled?: number; skipped?: number; todo?: number }): string {
  const failed = counts.failed + (counts.cancelled ?? 0);
  const skipped = (counts.skipped ?? 0) + (counts.todo ?? 0);
  return `${counts.passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}
