/**
 * HTTP for the REST catalog over Node's fetch: JSON bodies written and read losslessly (64-bit ids),
 * auth headers, one retry after a 401 with a fresh token, and the spec's error responses turned
 * into FloeErrors. A commit is special: a 5xx or a lost response means its state is unknown.
 */
import type { ErrorKind } from '../errors.js';
import { FloeError } from '../errors.js';
import { parseJson, stringifyJson } from '../spec/json.js';
import { redact, serverErrorText } from '../util/redaction.js';
import type { RestAuth } from './rest-auth.js';

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
}

export interface RestResponse {
  readonly status: number;
  /** Parsed losslessly; undefined for an empty body. */
  readonly json: unknown;
  readonly source: string;
}

export interface RestHttpOptions {
  readonly baseUri: string;
  readonly auth: RestAuth;
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
  /** The catalog's name, for error context. */
  readonly catalog?: string;
}

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
    let response = await this.once(request);
    if (response.status === 401 && this.options.auth.invalidate()) response = await this.once(request);
    const source = `${request.method} ${request.path}`;
    const text = request.method === 'HEAD' ? '' : await response.text();
    if (response.ok || (request.method === 'HEAD' && response.status === 404)) {
      return { status: response.status, json: text.trim() === '' ? undefined : parseJson(text, `REST response to ${source}`), source };
    }
    throw errorFor(response.status, text, this.withCatalog(request));
  }

  private async once(request: RestRequest): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.options.headers, ...(await this.options.auth.headers()) };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await this.doFetch(this.url(request.path, request.query), {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: stringifyJson(request.body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
      });
    } catch (cause) {
      const reason = (cause as Error).name === 'TimeoutError' ? 'timed out' : `failed: ${redact((cause as Error).message)}`;
      const { context } = this.withCatalog(request);
      if (request.commit) {
        // The request may have reached the server and been applied: only a reload can tell.
        throw new FloeError('commit-state-unknown', `Could not ${request.what}: the request ${reason}`, { context: { ...context }, cause });
      }
      throw new FloeError('io', `Could not ${request.what}: the request to the REST catalog ${reason}`, { context: { ...context }, cause });
    }
  }

  private withCatalog(request: RestRequest): RestRequest {
    return this.options.catalog === undefined ? request : { ...request, context: { catalog: this.options.catalog, ...request.context } };
  }
}

/** The spec's error model `{ error: { message, type, code } }`, as a FloeError of the right kind. */
export function errorFor(status: number, body: string, request: RestRequest): FloeError {
  const detail = errorDetail(body);
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
      return new FloeError('catalog', message, { context, retryable: status >= 500 || status === 429 || status === 408 });
  }
}

/**
 * The spec's `type: message`, or the first line of whatever else the server sent (an HTML page's
 * title): never the rest of a page, a stack trace (the error model's `stack` is ignored) or a secret
 * the server echoed.
 */
function errorDetail(body: string): string {
  let parsed: { error?: { message?: unknown; type?: unknown } } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return serverErrorText(body);
  }
  const type = typeof parsed?.error?.type === 'string' ? parsed.error.type : undefined;
  const text = typeof parsed?.error?.message === 'string' ? parsed.error.message : undefined;
  if (type === undefined && text === undefined) return serverErrorText(body);
  return serverErrorText([type, text].filter((part) => part !== undefined).join(': '));
}
