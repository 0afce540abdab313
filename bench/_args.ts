/** `name`'s number in a bench's arguments (`--name N`), above 0 and at most `max`; `fallback` when absent. */
export function numberArgument(args: readonly string[], name: string, fallback: number, max: number): number {
  const index = args.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(args[index + 1]);
  if (!(value > 0 && value <= max))
    throw new Error(`${name} must be a number above 0 and at most ${max}, got ${JSON.stringify(args[index + 1])}`);
  return value;
}

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
