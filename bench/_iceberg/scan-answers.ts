/**
 * What `bench scan` compares before it reports a time: each reader's count, sum(id) and sum(value)
 * of the live rows the filter keeps, against the hand-written floor's.
 */
export interface Answer {
  readonly count: bigint;
  readonly idSum: bigint;
  readonly valueSum: number;
}

export const describe = (answer: Answer): string => `count ${answer.count}, sum(id) ${answer.idSum}, sum(value) ${answer.valueSum}`;

const sameAnswer = (a: Answer, b: Answer): boolean => a.count === b.count && a.idSum === b.idSum && a.valueSum === b.valueSum;

/** The answer in DuckDB's first row of `count(*), sum(id), sum(value)`. */
export function answerOf(reader: { getRows(): unknown[][] }): Answer {
  const [count, idSum, valueSum] = reader.getRows()[0] ?? [];
  return { count: BigInt(count as bigint), idSum: BigInt((idSum as bigint | null) ?? 0n), valueSum: Number(valueSum ?? 0) };
}

/** Throws unless every reader's answer is the floor's. */
export function agree(snapshot: string, floor: Answer, answers: Record<string, Answer>): void {
  for (const [name, answer] of Object.entries(answers)) {
    if (!sameAnswer(answer, floor)) {
      throw new Error(`On ${snapshot}, ${name} read ${describe(answer)}; the hand-written floor read ${describe(floor)}`);
    }
  }
}

export interface Measured {
  readonly ms: number;
  readonly answer: Answer;
}

/** A peer's measurement, or why it is not comparable. */
export type PeerResult = Measured | { readonly notComparable: string };

/**
 * Runs a peer on a table of `formatVersion`. On v2 it must read the table: a failure or another
 * answer than the floor's fails the run. On v3, where reading deletion vectors depends on the
 * peer's version, either makes it not comparable, with the reason.
 */
export async function peerResult(formatVersion: 2 | 3, floor: Answer, run: () => Promise<Measured>): Promise<PeerResult> {
  if (formatVersion === 2) return run();
  let result: Measured;
  try {
    result = await run();
  } catch (error) {
    const lastLine = (error instanceof Error ? error.message : String(error)).trim().split('\n').at(-1) ?? '';
    return { notComparable: `it failed on the v3 table: ${lastLine}` };
  }
  if (!sameAnswer(result.answer, floor)) {
    return {
      notComparable: `it read ${describe(result.answer)} where the floor read ${describe(floor)}: it does not apply the deletion vectors`,
    };
  }
  return result;
}

/** `{ [name]: answer }` for `agree`, or nothing when the peer is not comparable. */
export const comparableAnswer = (name: string, result: PeerResult): Record<string, Answer> =>
  'notComparable' in result ? {} : { [name]: result.answer };
