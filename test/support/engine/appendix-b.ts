/**
 * The Iceberg spec's Appendix B hash vectors, keyed by the exact Iceberg type and in-memory value
 * (days, µs, ns, unscaled decimals, canonical uuid text, bytes as hex), with the bucket transform
 * written independently of the code under test.
 */
export const APPENDIX_B: Readonly<Record<string, number>> = {
  'int|34': 2017239379,
  'long|34': 2017239379,
  'decimal(9, 2)|1420': -500754589,
  'date|17486': -653330422,
  'time|81068000000': -662762989,
  'timestamp|1510871468000000': -2047944441,
  'timestamp|1510871468000001': -1207196810,
  'timestamptz|1510871468000000': -2047944441,
  'timestamptz|1510871468000001': -1207196810,
  'timestamp_ns|1510871468000001001': -1207196810,
  'string|iceberg': 1210000089,
  // From the spec's type-promotion note: "34" and 34 hash differently.
  'string|34': -427558391,
  'uuid|f79c3e09-677c-4bbd-a479-3f349cb785e7': 1488055340,
  'binary|00010203': -188683207,
};

/** The spec's `(hash & Integer.MAX_VALUE) % n`, written independently of the code under test. */
export function expectedBucket(hash: number, buckets: number): number {
  return Number(BigInt.asUintN(31, BigInt(hash)) % BigInt(buckets));
}
