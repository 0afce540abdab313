/**
 * Authentication for the REST catalog: a fixed bearer token, or OAuth2 client credentials
 * exchanged at `<uri>/v1/oauth/tokens` (or a configured `oauth2-server-uri`) and refreshed before
 * they expire or when the server answers 401. Tokens and secrets never appear in errors.
 */
import { defined } from '../../contracts/defined.js';
import { FloeError } from '../../core/errors.js';
import { serverErrorText } from '../../core/redaction.js';
import type { Redactor } from '../../core/redaction.js';
import { transportFailure } from './transport-failure.js';

export interface RestAuth {
  /** Headers to add to a request (may fetch or refresh a token). */
  headers(): Promise<Record<string, string>>;
  /** The server rejected the current token: forget it so the next `headers()` gets a new one. Returns whether a retry can help. */
  invalidate(): boolean;
}

export const NO_AUTH: RestAuth = { headers: async () => ({}), invalidate: () => false };

export function bearerAuth(token: string): RestAuth {
  return { headers: async () => ({ Authorization: `Bearer ${token}` }), invalidate: () => false };
}

export interface ClientCredentials {
  /** `client_id:client_secret`, as Java and pyiceberg take the `credential` property; or a bare secret. */
  readonly credential: string;
  readonly tokenUri: string;
  readonly scope?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /** Redacts what the token endpoint's failures repeat. */
  readonly redactor: Redactor;
}

const TOKEN_TIMEOUT_MS = 15_000;

/** Refresh when this share of a token's lifetime has passed. */
const REFRESH_AT = 0.9;

export function oauth2ClientCredentials(options: ClientCredentials): RestAuth {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  let token: { value: string; refreshAtMs: number } | undefined;
  let pending: Promise<string> | undefined;

  const request = async (): Promise<string> => {
    const separator = options.credential.indexOf(':');
    const clientId = separator < 0 ? undefined : options.credential.slice(0, separator);
    const clientSecret = separator < 0 ? options.credential : options.credential.slice(separator + 1);
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_secret: clientSecret, scope: options.scope ?? 'catalog' });
    if (clientId !== undefined) body.set('client_id', clientId);
    const started = now();
    let response: Response;
    try {
      response = await doFetch(options.tokenUri, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new FloeError(
        'io',
        `Cannot reach the OAuth2 token endpoint ${options.tokenUri}: ${transportFailure(cause, options.redactor)}`,
        {
          context: { uri: options.tokenUri },
          cause,
        },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new FloeError(
        'catalog',
        `OAuth2 token request to ${options.tokenUri} failed with HTTP ${response.status}${describeOAuthError(text, options.redactor)}`,
        {
          context: { uri: options.tokenUri, status: response.status },
          retryable: response.status >= 500,
        },
      );
    }
    const parsed = safeParse(text) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof parsed?.access_token !== 'string') {
      throw new FloeError('catalog', `OAuth2 token endpoint ${options.tokenUri} returned no access_token`, {
        context: { uri: options.tokenUri },
      });
    }
    // The token is a credential like the secret it was exchanged for: no error or log may carry it.
    options.redactor.register([parsed.access_token]);
    const lifetimeMs = typeof parsed.expires_in === 'number' ? parsed.expires_in * 1000 : Number.POSITIVE_INFINITY;
    token = { value: parsed.access_token, refreshAtMs: started + lifetimeMs * REFRESH_AT };
    return parsed.access_token;
  };

  return {
    async headers() {
      if (token === undefined || now() >= token.refreshAtMs) {
        // Concurrent requests share one token request.
        pending ??= request().finally(() => (pending = undefined));
        await pending;
      }
      return { Authorization: `Bearer ${token?.value ?? ''}` };
    },
    invalidate() {
      token = undefined;
      return true;
    },
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `: invalid_client (…)` from an RFC 6749 error body, without echoing anything else the server sent. */
function describeOAuthError(text: string, redactor: Redactor): string {
  const parsed = safeParse(text) as { error?: unknown; error_description?: unknown } | undefined;
  if (typeof parsed?.error !== 'string') return '';
  return `: ${serverErrorText(`${parsed.error}${typeof parsed.error_description === 'string' ? ` (${parsed.error_description})` : ''}`, redactor)}`;
}

/** What a REST catalog's options say about auth: a bearer token, OAuth2 client credentials, or none. */
export interface RestAuthOptions {
  readonly name: string;
  readonly uri: string;
  readonly token?: string;
  readonly credential?: string;
  readonly oauth2ServerUri?: string;
  readonly scope?: string;
  readonly fetch?: typeof fetch;
  readonly redactor: Redactor;
}

export function restAuthFor(options: RestAuthOptions): RestAuth {
  if (options.token !== undefined && options.credential !== undefined) {
    throw new FloeError('invalid-input', `REST catalog ${options.name}: give either a token or a credential, not both`, {
      context: { catalog: options.name },
    });
  }
  if (options.token !== undefined) return bearerAuth(options.token);
  if (options.credential !== undefined) {
    return oauth2ClientCredentials({
      credential: options.credential,
      tokenUri: options.oauth2ServerUri ?? `${options.uri.replace(/\/+$/, '')}/v1/oauth/tokens`,
      redactor: options.redactor,
      ...defined({ scope: options.scope, fetch: options.fetch }),
    });
  }
  return NO_AUTH;
}
