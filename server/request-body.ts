import type { z } from 'zod';
import { FloeError } from '../core/errors.js';

/** A request body checked against its schema; a mismatch is a 400 naming every field at fault and the shape expected. */
export function parseRequestBody<T>(schema: z.ZodType<T>, body: unknown, what: string, expected: string): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
    throw new FloeError('invalid-input', `Invalid ${what} body: ${problems}. Expected ${expected}`, {
      context: { field: result.error.issues[0]?.path.join('.') },
    });
  }
  return result.data;
}
