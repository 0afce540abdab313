/**
 * The one redaction step for text Floe prints or records: error messages, log lines, CLI output,
 * workflow failures. A Redactor removes the secrets it was told (registered from the project's
 * configuration when it is loaded: catalog tokens and credentials, S3 keys, Postgres passwords;
 * and by a REST catalog, the credentials it is vended) in every form they commonly travel in (as
 * is, URL-encoded, form-encoded, JSON-escaped, base64 of a Basic credential), plus anything that
 * looks like a bearer token or a URL's password whoever sent it (`redactPatterns`, a pure function).
 * Each process entry point (CLI, worker, servers) makes one and hands it to the project it loads;
 * the runtime gives it to its catalog, from which the rest of the process reaches it.
 */

export const REDACTED = '[redacted]';

/**
 * Secrets shorter than this are not matched as text: replacing every "abc" in every message would
 * make the output unreadable without protecting a password that short anyway.
 */
const MIN_SECRET_LENGTH = 4;

function secretForms(secret: string): string[] {
  const uriEncoded = encodeURIComponent(secret);
  return [
    secret,
    uriEncoded,
    uriEncoded.toLowerCase() === uriEncoded ? uriEncoded : uriEncoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret, 'utf8').toString('base64'),
  ];
}

/** `Authorization: Bearer …` / `Basic …`, `scheme://user:password@host`, `password=…` and `"client_secret": "…"`. */
const SECRET_NAMES =
  'access_?token|refresh_?token|id_?token|client_?secret|password|passwd|secret_?access_?key|session_?token|x-amz-signature|x-amz-security-token|x-amz-credential';
const PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi, `$1 ${REDACTED}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi, `$1:${REDACTED}@`],
  [new RegExp(`\\b(${SECRET_NAMES})=[^\\s&"',;]+`, 'gi'), `$1=${REDACTED}`],
  [new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*)"[^"]*"`, 'gi'), `$1"${REDACTED}"`],
];

/** The text with every secret-looking value replaced by `[redacted]`: needs no known secret. */
export function redactPatterns(text: string): string {
  let result = text;
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

export class Redactor {
  private readonly known = new Set<string>();
  /** Every text form of every known secret, longest first so a form containing another goes first. */
  private forms: string[] = [];

  /** Adds secrets to those every later `redact` removes. Empty, missing and very short values are ignored. */
  register(values: Iterable<string | undefined | null>): void {
    let added = false;
    for (const value of values) {
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || this.known.has(value)) continue;
      this.known.add(value);
      added = true;
    }
    if (added)
      this.forms = [...new Set([...this.known].flatMap(secretForms))]
        .filter((form) => form.length >= MIN_SECRET_LENGTH)
        .sort((a, b) => b.length - a.length);
  }

  /** The text with every known secret and every secret-looking value replaced by `[redacted]`. */
  redact(text: string): string {
    let result = text;
    for (const form of this.forms) if (result.includes(form)) result = result.split(form).join(REDACTED);
    return redactPatterns(result);
  }

  /** An error's own message (or a thrown value as text), redacted: never its stack. */
  redactedMessage(error: unknown): string {
    return this.redact(messageOf(error));
  }

  /**
   * A value for a log line or a failure's details, with every string redacted and every Error reduced
   * to its name and redacted message (no stack). Depth-limited: logs never need more.
   */
  redactValue(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value instanceof Error)
      return {
        name: value.name,
        message: this.redactedMessage(value),
        ...(value.cause === undefined ? {} : { cause: depth < 4 ? this.redactValue(value.cause, depth + 1) : '…' }),
      };
    if (value === null || typeof value !== 'object') return value;
    if (depth >= 5) return '…';
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item, depth + 1));
    if (value instanceof Uint8Array || value instanceof Date) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.redactValue(item, depth + 1)]));
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

const MAX_SERVER_TEXT = 200;

/**
 * What of a server's error text Floe repeats: an HTML page reduced to its title (or first
 * heading), anything else to its first line that is not a stack frame, at most 200 characters,
 * redacted by `redactor`. Never the rest of a page or a stack trace, whatever the server sends.
 */
export function serverErrorText(body: string, redactor: Redactor): string {
  const html = /<(?:!doctype\s+html|html|head|body|title|h1)\b/i.test(body);
  const text = html ? htmlSummary(body) : firstLine(body);
  const cut = text.length > MAX_SERVER_TEXT ? `${text.slice(0, MAX_SERVER_TEXT)}…` : text;
  return redactor.redact(cut);
}

function htmlSummary(body: string): string {
  const heading = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body) ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(body);
  if (!heading) return '(an HTML page)';
  return firstLine(decodeEntities(heading[1]!.replace(/<[^>]*>/g, ' ')));
}

function firstLine(text: string): string {
  const line = text
    .split(/\r?\n/)
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate !== '' && !isStackFrame(candidate));
  return (line ?? '').replace(/\s+/g, ' ');
}

/** Java (`at com.x.Y.z(Y.java:1)`), Python (`File "…", line 3`) and Node (`at f (/x.js:1:2)`) frames. */
function isStackFrame(line: string): boolean {
  return /^(at\s|\.\.\.\s*\d+\s+more|Caused by:|File\s+"|Traceback\b)/.test(line);
}

function decodeEntities(text: string): string {
  return text.replace(
    /&(lt|gt|amp|quot|#39|nbsp);/g,
    (_entity, name: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'", nbsp: ' ' })[name] ?? '',
  );
}
