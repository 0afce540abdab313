/**
 * JSON values from outside (HTTP request bodies, stream messages) with every number exact: an
 * integer a JS number holds exactly is a number, a larger one a bigint (a long's 2^63 − 1 keeps its
 * last digit); a non-integer a double holds exactly is a number, any other (more digits than a
 * double keeps, a decimal(38, 10)'s 30 digits say) a LosslessNumber holding its digits, which a
 * decimal column takes as they are and a double column rounds as it would anyway. Parsed by
 * lossless-json: a key given twice with different values is refused, not settled by the last.
 */
import { isSafeNumber, LosslessNumber, parse } from 'lossless-json';

const INTEGER = /^-?\d+$/;

/** Parses JSON text (throws SyntaxError with the position when it is not JSON). */
export function parseExactJson(text: string): unknown {
  return parse(text, null, exactNumber);
}

function exactNumber(digits: string): number | bigint | LosslessNumber {
  if (INTEGER.test(digits)) {
    const number = Number(digits);
    return Number.isSafeInteger(number) ? number : BigInt(digits);
  }
  return isSafeNumber(digits) ? Number(digits) : new LosslessNumber(digits);
}
