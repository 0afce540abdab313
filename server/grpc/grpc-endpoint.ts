import * as grpc from '@grpc/grpc-js';
import { FloeError } from '../../core/errors.js';
import type { Authenticator, Caller } from '../auth/authenticator.js';
import { InvalidCredentials } from '../auth/authenticator.js';

/**
 * What Floe's gRPC endpoints (the offline endpoint's Arrow Flight, the registry) share with each
 * other and with the HTTP server: the caller proven by the `authorization` metadata, TLS from
 * `server.tls`, binding and closing.
 */

/** A refusal made by an endpoint itself (credentials, permissions, an unknown name), with its gRPC status. */
export class GrpcRefusal extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly kind: string,
  ) {
    super(message);
  }
}

/**
 * The caller a call's `authorization` metadata proves (Feast's clients send `Bearer <token>` there,
 * an OIDC token or a static one), checked by the HTTP server's authenticator; undefined when the
 * endpoint has no `server.auth`. Missing or bad credentials are UNAUTHENTICATED, naming `endpoint`.
 */
export async function grpcCaller(
  authenticator: Authenticator | undefined,
  metadata: grpc.Metadata,
  endpoint: string,
): Promise<Caller | undefined> {
  if (authenticator === undefined) return undefined;
  const [authorization] = metadata.get('authorization');
  const caller = await authenticator.authenticate(typeof authorization === 'string' ? authorization : authorization?.toString('utf8'));
  if (caller instanceof InvalidCredentials)
    throw new GrpcRefusal(grpc.status.UNAUTHENTICATED, `The ${endpoint} needs credentials: ${caller.reason}`, 'unauthorized');
  return caller;
}

/** TLS with this certificate and key (PEM), as the HTTP server's `server.tls`; plaintext without. */
export function grpcServerCredentials(tls: { readonly cert: Buffer; readonly key: Buffer } | undefined): grpc.ServerCredentials {
  return tls === undefined
    ? grpc.ServerCredentials.createInsecure()
    : grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false);
}

/**
 * Binds `server` to host:port and starts it; resolves with the port bound (useful with port 0). A
 * failure to bind says what it means and names the option that moves the endpoint.
 */
export function listenGrpc(
  server: grpc.Server,
  { host, port }: { readonly host: string; readonly port: number },
  credentials: grpc.ServerCredentials,
  what: { readonly endpoint: string; readonly option: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(address, credentials, (error, bound) => (error ? reject(listenError(address, error, what)) : resolve(bound)));
  });
}

/** Stops taking calls and resolves once those in flight end; calls still streaming after a while are cut off rather than holding the process. */
export function closeGrpc(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    server.tryShutdown(() => resolve());
    setTimeout(() => server.forceShutdown(), 5_000).unref();
  });
}

/** grpc-js's bind failure ("No address added … errors: [listen EADDRINUSE: …]") said as what it means. */
function listenError(address: string, error: Error, what: { readonly endpoint: string; readonly option: string }): FloeError {
  const reason = /listen E\w+: ([^\]]+)/.exec(error.message)?.[1] ?? error.message;
  return new FloeError('io', `The ${what.endpoint} cannot listen on ${address}: ${reason}; pass ${what.option} <port> (0: any free port)`, {
    cause: error,
    context: { field: what.option },
  });
}
