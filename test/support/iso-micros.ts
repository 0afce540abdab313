/**
 * Instants in microseconds as the ISO text pyiceberg prints and parses: always six fraction digits
 * (`2024-05-02T00:00:00.000000Z`), unlike the product's `isoMicros` (contracts/instants.ts), which
 * trims them.
 */

/** `micros` since the epoch as ISO text with six fraction digits; negative instants round down. */
export function microsToIso(micros: bigint): string {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = micros - ms * 1000n;
  return new Date(Number(ms)).toISOString().replace('Z', `${rest.toString().padStart(3, '0')}Z`);
}

/** ISO text with six fraction digits (the trailing `Z` optional) as microseconds since the epoch. */
export function isoToMicros(text: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)\.(\d{6})Z?$/.exec(text);
  if (!match) throw new Error(`not an ISO timestamp with µs: ${text}`);
  return BigInt(Date.parse(`${match[1]!}Z`)) * 1000n + BigInt(match[2]!);
}
