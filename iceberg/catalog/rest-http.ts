/**
 * HTTP for the REST catalog over Node's fetch: JSON bodies written and read losslessly (64-bit ids),
 * auth headers, one retry after a 401 with a fresh token, and the spec's error responses turned
 * into FloeErrors. A commit is special: a 5xx or a lost response means its state is unknown, but a
 * refused connection means the server never saw it.
 *
 * Every request has a timeout. Reads (GET, HEAD) that fail on something transient — no
 * connection, a timeout, a 5xx, 429 — are retried with jittered waits of at most 2 s for up to
 * `retryBudgetMs`, so a catalog that restarts costs a short stall rather than a failed step.
 * Redirects are not followed: a catalog URI that redirects is a configuration error, named as one.
 * A request's `signal` ends it and its retries at once, rejecting with the signal's reason.
 */
import type { ErrorKind } from '../../core/errors.js';
import { CommitNotSentError, FloeError } from '../../core/errors.js';
import { isTransientHttpStatus } from '../../core/transient-http-status.js';
import { parseJson, stringifyJson } from '../spec/json.js';
import { backoffMs, delay } from '../util/backoff.js';
import { serverErrorText } from '../../core/redaction.js';
import type { Redactor } from '../../core/redaction.js';
import type { RestAuth } from './rest-auth.js';
import { neverSent, transportFailure } from './transport-failure.js';

export interface RestRequest {
  readonly method: 'GET' | 'POST' | 'HEAD' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
  /** What is being done, for error messages: "load table db.t". */
  readonly what: string;
  /** Context for errors (table, namespace). */
  readonly context?: Readonly<Record<string, string>>;
  /** A table commit: 5xx and lost responses mean `commit-state-unknown`, 409 means `commit-conflict`. */
  readonly commit?: boolean;
  /** What a 409 means outside commits (default `already-exists`). */
  readonly onConflict?: ErrorKind;
  /** Leave a successful body unparsed, as `RestResponse.text`, for a caller that may reuse an earlier parse. */
  readonly raw?: boolean;
  /** Cancels the request (see CatalogCallOptions). */
  readonly signal?: AbortSignal;
}

export interface RestResponse {
  readonly status: number;
  /** Parsed losslessly; undefined for an empty body or a `raw` request. */
  readonly json: unknown;
  /** The body of a `raw` request. */
  readonly text?: string;
  readonly source: string;
}

export interface RestHttpOptions {
  readonly baseUri: string;
  readonly auth: RestAuth;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
  /** How long a read keeps retrying transient failures (default 10 s; 0 turns retries off). */
  readonly retryBudgetMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The catalog's name, for error context. */
  readonly catalog?: string;
  /** Redacts what the server's answers and the transport's failures repeat in errors. */
  readonly redactor: Redactor;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRY_BUDGET_MS = 10_000;
const READ_RETRY = { numRetries: Number.MAX_SAFE_INTEGER, minWaitMs: 200, maxWaitMs: 2_000, totalTimeoutMs: DEFAULT_RETRY_BUDGET_MS };

export class RestHttp {
  private readonly baseUri: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: RestHttpOptions) {
    this.baseUri = options.baseUri.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? fetch;
  }

  url(path: string, query: RestRequest['query'] = {}): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, value);
    const text = search.toString();
    return `${this.baseUri}${path}${text === '' ? '' : `?${text}`}`;
  }

  /** Sends the request; a 404 on HEAD resolves with status 404, every other non-2xx throws. */
  async send(request: RestRequest): Promise<RestResponse> {
    const idempotent = request.method === 'GET' || request.method === 'HEAD';
    const budgetMs = this.options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
    const started = Date.now();
    for (let retry = 1; ; retry++) {
      request.signal?.throwIfAborted();
      try {
        return await this.sendOnce(request);
      } catch (error) {
        const waitMs = backoffMs(retry, READ_RETRY);
        if (!idempotent || !FloeError.is(error) || !error.retryable || Date.now() - started + waitMs > budgetMs) throw error;
        await (this.options.sleep ?? ((ms: number) => delay(ms, request.signal)))(waitMs);
      }
    }
  }

  private async sendOnce(request: RestRequest): Promise<RestResponse> {
    let response = await this.once(request);
    if (response.status === 401 && this.options.auth.invalidate()) response = await this.once(request);
    const source = `${request.method} ${request.path}`;
    if (response.status >= 300 && response.status < 400) throw redirected(response, request, this.url(request.path, request.query));
    const text = request.method === 'HEAD' ? '' : await readBody(response, request, this.options.redactor);
    if (response.ok || (request.method === 'HEAD' && response.status === 404)) {
      if (request.raw) return { status: response.status, json: undefined, text, source };
      return { status: response.status, json: text.trim() === '' ? undefined : parseJson(text, `REST response to ${source}`), source };
    }
    throw errorFor(response.status, text, this.withCatalog(request), this.options.redactor);
  }

  private async once(request: RestRequest): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.options.headers, ...(await this.options.auth.headers()) };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.doFetch(this.url(request.path, request.query), {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: stringifyJson(request.body) }),
        redirect: 'manual',
        signal: withTimeout(request.signal, this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (cause) {
      if (request.signal?.aborted) throw request.signal.reason as Error;
      const timedOut = (cause as Error).name === 'TimeoutError';
      const reason = timedOut
        ? `timed out after ${this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`
        : `failed: ${transportFailure(cause, this.options.redactor)}`;
      const { context } = this.withCatalog(request);
      if (request.commit && !timedOut && neverSent(cause)) {
        throw new CommitNotSentError(`Could not ${request.what}: the REST catalog refused the connection, so the commit was not sent`, {
          context: { ...context },
          cause,
        });
      }
      if (request.commit) {
        // The request may have reached the server and been applied: only a reload can tell.
        throw new FloeError('commit-state-unknown', `Could not ${request.what}: the request ${reason}`, { context: { ...context }, cause });
      }
      throw new FloeError('io', `Could not ${request.what}: the request to the REST catalog at ${this.baseUri} ${reason}`, {
        context: { ...context },
        cause,
      });
    }
  }

  private withCatalog(request: RestRequest): RestRequest {
    return this.options.catalog === undefined ? request : { ...request, context: { catalog: this.options.catalog, ...request.context } };
  }
}

/** The request's own timeout, and the caller's signal when there is one. */
function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

function redirected(response: Response, request: RestRequest, url: string): FloeError {
  const target = response.headers.get('location');
  return new FloeError(
    'invalid-input',
    `Could not ${request.what}: the REST catalog at ${url} answered HTTP ${response.status}, a redirect${target === null ? '' : ` to ${target}`}; Floe does not follow catalog redirects: set the catalog's uri to the address that answers`,
    { context: { ...request.context, status: response.status } },
  );
}

/** The body; a connection lost while reading it is the same failure as one lost before the answer. */
async function readBody(response: Response, request: RestRequest, redactor: Redactor): Promise<string> {
  try {
    return await response.text();
  } catch (cause) {
    if (request.signal?.aborted) throw request.signal.reason as Error;
    if (request.commit)
      throw new FloeError('commit-state-unknown', `Could not ${request.what}: the answer was lost (${transportFailure(cause, redactor)})`, {
        context: { ...request.context },
        cause,
      });
    throw new FloeError(
      'io',
      `Could not ${request.what}: the answer from the REST catalog was lost (${transportFailure(cause, redactor)})`,
      {
        context: { ...request.context },
        cause,
      },
    );
  }
}

/** The spec's error model `{ error: { message, type, code } }`, as a FloeError of the right kind; what the server said redacted by `redactor`. */
export function errorFor(status: number, body: string, request: RestRequest, redactor: Redactor): FloeError {
  const detail = errorDetail(body, redactor);
  const message = `Could not ${request.what}: HTTP ${status}${detail === '' ? '' : ` ${detail}`}`;
  const context = { ...request.context, status };
  if (request.commit) {
    if (status === 409) return new FloeError('commit-conflict', message, { context });
    if (status >= 500) return new FloeError('commit-state-unknown', message, { context });
  }
  switch (status) {
    case 400:
    case 422:
      return new FloeError('invalid-input', message, { context });
    case 404:
      return new FloeError('not-found', message, { context });
    case 406:
      return new FloeError('unsupported', message, { context });
    case 409:
      return new FloeError(request.onConflict ?? 'already-exists', message, { context });
    case 401:
    case 403:
    case 419:
      return new FloeError('catalog', `${message} (check the catalog's token or credential)`, { context, retryable: false });
    default:
      return new FloeError('catalog', message, { context, retryable: isTransientHttpStatus(status) });
  }
}

/**
 * The spec's `type: message`, or the first line of whatever else the server sent (an HTML page's
 * title): never the rest of a page, a stack trace (the error model's `stack` is ignored) or a secret
 * the server echoed.
 */
function errorDetail(body: string, redactor: Redactor): string {
  let parsed: { error?: { message?: unknown; type?: unknown } } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return serverErrorText(body, redactor);
  }
  // Nessie sends an empty type.
  const type = typeof parsed?.error?.type === 'string' && parsed.error.type !== '' ? parsed.error.type : undefined;
  const text = typeof parsed?.error?.message === 'string' ? parsed.error.message : undefined;
  if (type === undefined && text === undefined) return serverErrorText(body, redactor);
  return serverErrorText([type, text].filter((part) => part !== undefined).join(': '), redactor);
}
