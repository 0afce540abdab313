// A benchmark's scales: fractions of its full scale, from `--scale`, and its counts at each.

/**
 * `--scale a,b` (or `--scale=a,b`): fractions of a benchmark's full scale, above 0 and at most 10,
 * each optionally written with an `x` (`1x,10x`); smallest first, each once. `fallback` when absent.
 */
export function scaleFractionsArgument(args: readonly string[], fallback: readonly number[]): number[] {
  const at = args.findIndex((arg) => arg === '--scale' || arg.startsWith('--scale='));
  if (at === -1) return [...fallback];
  const text = args[at]!.startsWith('--scale=') ? args[at]!.slice('--scale='.length) : args[at + 1];
  const fractions = (text ?? '').split(',').map((fraction) => Number(fraction.replace(/[x×]$/, '')));
  if (text === undefined || text === '' || fractions.some((fraction) => !Number.isFinite(fraction) || fraction <= 0 || fraction > 10))
    throw new Error(
      `--scale takes fractions of the full scale (at most 10) separated by commas, for example 0.1,0.3,1 or 1x,10x; got ${JSON.stringify(text ?? '')}`,
    );
  return [...new Set(fractions)].sort((a, b) => a - b);
}

/**
 * A benchmark's full-scale counts times `fraction`, rounded, with the name of its data folder:
 * `quick` (0.1×), `full` (1×), else `x<fraction>`.
 */
export function scaled<Counts extends Readonly<Record<string, number>>>(
  full: Counts,
  fraction: number,
): Counts & { readonly name: string; readonly fraction: number } {
  const counts = Object.fromEntries(Object.entries(full).map(([key, count]) => [key, Math.round(count * fraction)])) as Counts;
  return { ...counts, name: fraction === 1 ? 'full' : fraction === 0.1 ? 'quick' : `x${fraction}`, fraction };
}

/**
 * Time per entity row at the largest scale ÷ at the smallest, to three places: at most 1 when time
 * grows no faster than linearly. null with one scale, which shows no growth, or a time missing.
 */
export function perRowGrowth(
  scales: readonly { readonly entity_rows: number }[],
  seconds: (scale: number) => number | null,
): number | null {
  const [first, last] = [seconds(0), seconds(scales.length - 1)];
  if (scales.length < 2 || first === null || last === null) return null;
  return Math.round((last / scales.at(-1)!.entity_rows / (first / scales[0]!.entity_rows)) * 1000) / 1000;
}
