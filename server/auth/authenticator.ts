import { hash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ServerAuthConfig, ServerPermissions } from '../../features/config.js';
import { serverPermissionsSchema } from '../../features/config.js';
import { shownIdentity } from './shown-identity.js';

/** Who made a request and what they may do. */
export interface Caller {
  /** As error bodies and logs show it (shownIdentity): a token's name, or an OIDC token's `sub`. */
  readonly name: string;
  readonly permissions: ServerPermissions;
}

/** Why a request's credentials were not accepted (a 401); the text is safe to answer with. */
export class InvalidCredentials {
  constructor(readonly reason: string) {}
}

export type Authentication = Caller | InvalidCredentials;

export interface Authenticator {
  /**
   * The caller the `Authorization` header proves, or why it proves none: at once for a static token
   * or a malformed header, later only when a JWT must be verified (a promise per request on the
   * static path cost a tenth of a 1-key read). `connection` (the request's socket) lets a keep-alive
   * client's static token be checked once per connection rather than hashed on every request.
   */
  authenticate(authorization: string | undefined, connection?: object): Authentication | Promise<Authentication>;
}

const NO_PERMISSIONS: ServerPermissions = { read: false, push: [], write: [], materialize: false };

/**
 * Checks `Authorization: Bearer <token>` (what Feast's clients send) against floe.yaml's
 * `server.auth`: first the static tokens, by SHA-256 digest compared in constant time with every
 * configured one, then, when `oidc` is set, as a JWT verified by jose against the issuer's JWKS
 * (signature, `iss`, `aud`, `exp`, `nbf`), its permissions read from `oidc.claim`.
 */
export function createAuthenticator(config: ServerAuthConfig): Authenticator {
  const tokens = config.tokens.map((token) => ({
    digest: Buffer.from(token.sha256, 'hex'),
    caller: {
      name: shownIdentity(token.name, 'token'),
      permissions: { read: token.read, push: token.push, write: token.write, materialize: token.materialize },
    } satisfies Caller,
  }));
  const { oidc } = config;
  // jose fetches the key set on first use, caches it, and refetches when a token names an unknown key.
  const keys = oidc === undefined ? undefined : createRemoteJWKSet(new URL(oidc.jwksUri));

  const staticCaller = (token: string): Caller | undefined => {
    // One-shot hash: a Hash object per request cost ~7 µs, a tenth of a 1-key read.
    const digest = hash('sha256', token, 'buffer');
    let found: Caller | undefined;
    for (const candidate of tokens) if (timingSafeEqual(digest, candidate.digest) && found === undefined) found = candidate.caller;
    return found;
  };

  // The header a connection last proved a static token with, compared in constant time: a proxy may
  // carry several clients' requests over one connection. Never a JWT, whose validity ends.
  const provenOn = new WeakMap<object, { readonly header: Buffer; readonly caller: Caller }>();
  const provenBefore = (authorization: string, connection: object | undefined): Caller | undefined => {
    const proven = connection === undefined ? undefined : provenOn.get(connection);
    if (proven === undefined) return undefined;
    const header = Buffer.from(authorization);
    return header.length === proven.header.length && timingSafeEqual(header, proven.header) ? proven.caller : undefined;
  };

  return {
    authenticate(authorization, connection) {
      if (authorization === undefined || authorization === '') return new InvalidCredentials('send Authorization: Bearer <token>');
      const proven = provenBefore(authorization, connection);
      if (proven !== undefined) return proven;
      const match = /^Bearer +(\S+) *$/i.exec(authorization);
      if (!match) return new InvalidCredentials('the Authorization header is not "Bearer <token>"');
      const token = match[1]!;
      const known = staticCaller(token);
      if (known !== undefined) {
        if (connection !== undefined) provenOn.set(connection, { header: Buffer.from(authorization), caller: known });
        return known;
      }
      if (oidc === undefined || keys === undefined || token.split('.').length !== 3)
        return new InvalidCredentials('the token is not valid');
      return verifiedCaller(token, keys, oidc);
    },
  };
}

async function verifiedCaller(token: string, keys: JWTVerifyGetKey, oidc: NonNullable<ServerAuthConfig['oidc']>): Promise<Authentication> {
  try {
    const { payload } = await jwtVerify(token, keys, { issuer: oidc.issuer, audience: oidc.audience });
    return {
      name: shownIdentity(typeof payload.sub === 'string' ? payload.sub : '', 'oidc'),
      permissions: claimedPermissions(payload[oidc.claim]),
    };
  } catch (error) {
    const reason = tokenRejection(error);
    if (reason === undefined) throw error;
    return new InvalidCredentials(reason);
  }
}

/** The permissions an OIDC claim grants: the shape of a static token's `read` and `push`, as an object or JSON text (identity providers that only issue string claims); nothing when absent or malformed. */
function claimedPermissions(claim: unknown): ServerPermissions {
  let value = claim;
  if (typeof claim === 'string') {
    try {
      value = JSON.parse(claim) as unknown;
    } catch {
      return NO_PERMISSIONS;
    }
  }
  const parsed = serverPermissionsSchema.safeParse(value ?? {});
  return parsed.success ? parsed.data : NO_PERMISSIONS;
}

/** Why jose refused a token, for the 401; undefined for a failure that is not the token's (the key set unreachable), which is a 5xx. */
function tokenRejection(error: unknown): string | undefined {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not accepted`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "the token is not signed by a key of the issuer's key set";
  if (
    error instanceof joseErrors.JWTInvalid ||
    error instanceof joseErrors.JWSInvalid ||
    error instanceof joseErrors.JOSENotSupported ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys
  )
    return 'the token is not valid';
  return undefined;
}
