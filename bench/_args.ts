/** `name`'s number in a bench's arguments (`--name N`), above 0 and at most `max`; `fallback` when absent. */
export function numberArgument(args: readonly string[], name: string, fallback: number, max: number): number {
  const index = args.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(args[index + 1]);
  if (!(value > 0 && value <= max))
    throw new Error(`${name} must be a number above 0 and at most ${max}, got ${JSON.stringify(args[index + 1])}`);
  return value;
}
