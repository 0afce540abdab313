// Why an HTTP request to a catalog failed before any answer came: what Node's fetch hides in its
// causes. Shared by the REST client and its OAuth2 token requests.
import type { Redactor } from '../../core/redaction.js';

/** Connection-level failures before any byte of the request reached the server. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function neverSent(cause: unknown): boolean {
  const code = causeCode(cause);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

function causeCode(cause: unknown): string | undefined {
  for (
    let error = cause as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    error && depth < 4;
    error = error.cause as typeof error, depth++
  ) {
    if (typeof error.code === 'string') return error.code;
  }
  return undefined;
}

/** Why fetch failed: Node's "fetch failed" hides the reason (ECONNREFUSED, a reset, a TLS error) in its cause. Redacted by `redactor`. */
export function transportFailure(cause: unknown, redactor: Redactor): string {
  const error = cause as Error & { cause?: Error & { code?: string } };
  const inner = error.cause;
  if (inner === undefined) return redactor.redact(error.message);
  const detail = inner.code !== undefined && !inner.message.includes(inner.code) ? `${inner.code} ${inner.message}` : inner.message;
  return redactor.redact(`${error.message} (${detail})`);
}
