/**
 * Each test file's wall time, as `scripts/test-file-times-reporter.ts` wrote it during the run
 * (one JSON line per file): the list of the slowest files `npm test` prints at the end, and the
 * order it starts the files in next time (slowest first).
 */
import { isAbsolute, relative } from 'node:path';
import { formatDuration } from './services/progress.js';

export interface FileTime {
  file: string;
  ms: number;
}

/** The times the reporter wrote; a line cut short (the run was killed mid-write) is left out. */
export function readFileTimes(jsonLines: string): FileTime[] {
  const times: FileTime[] = [];
  for (const line of jsonLines.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const { file, ms } = (parsed ?? {}) as Partial<FileTime>;
    if (typeof file === 'string' && typeof ms === 'number' && Number.isFinite(ms)) times.push({ file, ms });
  }
  return times;
}

/** The `count` slowest files, slowest first (ties by path, so the list is stable). */
export function slowestFiles(times: readonly FileTime[], count: number): FileTime[] {
  return [...times].sort((a, b) => b.ms - a.ms || a.file.localeCompare(b.file)).slice(0, count);
}

/** A block naming the slowest files with their wall times, paths relative to `root`. */
export function formatSlowestFiles(times: readonly FileTime[], count: number, root: string): string {
  return formatFileList(
    times,
    count,
    root,
    (shown, all) => `Slowest ${shown} of ${all} test files (each file's own wall time; files run side by side):`,
  );
}

/**
 * A block naming the files that cost the most CPU (scripts/test-file-cpu.ts' figures: each file's
 * process and the children it reaped), with the sum over every file, paths relative to `root`.
 */
export function formatCostliestFiles(cpu: readonly FileTime[], count: number, root: string): string {
  const total = formatDuration(cpu.reduce((sum, file) => sum + file.ms, 0));
  return formatFileList(
    cpu,
    count,
    root,
    (shown, all) =>
      `Most CPU of ${all} test files: ${total} in all (user + system, with the processes each file spawned); the ${shown} costliest:`,
  );
}

function formatFileList(times: readonly FileTime[], count: number, root: string, heading: (shown: number, all: number) => string): string {
  const slowest = slowestFiles(times, count);
  if (slowest.length === 0) return '';
  const shown = slowest.map((time) => ({
    duration: formatDuration(time.ms),
    file: isAbsolute(time.file) ? relative(root, time.file) : time.file,
  }));
  const width = Math.max(...shown.map((line) => line.duration.length));
  const lines = shown.map((line) => `  ${line.duration.padStart(width)}  ${line.file}`);
  return `${heading(slowest.length, times.length)}\n${lines.join('\n')}\n`;
}

/** Each file's latest time, by path relative to `root` (a later line replaces an earlier one). */
export function latestTimes(times: readonly FileTime[], root: string): Map<string, number> {
  return new Map(times.map((time) => [isAbsolute(time.file) ? relative(root, time.file) : time.file, time.ms]));
}

/** What a file is guessed to take when no run has timed it yet, by its folder. */
const UNTIMED_GUESS_MS: readonly [prefix: string, ms: number][] = [
  ['test/e2e/', 120_000],
  ['test/integration/', 30_000],
  ['test/replay/', 10_000],
];

/**
 * The files in the order to start them: slowest first, by their last times (or a guess by
 * folder), so the long files overlap each other and the short ones fill in at the end, instead of
 * a long file starting last and running alone.
 */
export function slowestFirst(files: readonly string[], known: ReadonlyMap<string, number>): string[] {
  const estimate = (file: string): number => known.get(file) ?? UNTIMED_GUESS_MS.find(([prefix]) => file.startsWith(prefix))?.[1] ?? 1_000;
  return [...files].sort((a, b) => estimate(b) - estimate(a) || a.localeCompare(b));
}
