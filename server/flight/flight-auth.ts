import { status } from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import type { Authenticator, Caller } from '../auth/authenticator.js';
import { missingRead } from '../auth/route-guard.js';
import { grpcCaller } from '../grpc/grpc-endpoint.js';
import { FlightRefusal } from './flight-errors.js';

/**
 * The caller a Flight call's `authorization` metadata proves (Feast's client sends `Bearer <token>`
 * there, its OIDC token or a static one), checked by the HTTP server's authenticator; undefined when
 * the endpoint has no `server.auth`. Missing or bad credentials are UNAUTHENTICATED.
 */
export function flightCaller(authenticator: Authenticator | undefined, metadata: Metadata): Promise<Caller | undefined> {
  return grpcCaller(authenticator, metadata, 'offline endpoint');
}

/** Refuses (PERMISSION_DENIED) a caller who may not read every one of `views`. */
export function requireRead(caller: Caller | undefined, views: readonly string[]): void {
  if (caller === undefined) return;
  const missing = missingRead(caller.permissions, { views });
  if (missing !== undefined) throw new FlightRefusal(status.PERMISSION_DENIED, `${caller.name} may not ${missing}`, 'forbidden');
}

/** Refuses (PERMISSION_DENIED) a caller who may not read everything: a data source's raw rows are not one view's features. */
export function requireSourceRead(caller: Caller | undefined, source: string): void {
  if (caller === undefined || caller.permissions.read === true) return;
  throw new FlightRefusal(
    status.PERMISSION_DENIED,
    `${caller.name} may not read data source ${source} (that needs read: true)`,
    'forbidden',
  );
}

/** Refuses (PERMISSION_DENIED) a caller who may not push to `pushSource` (what an append to its table needs). */
export function requirePush(caller: Caller | undefined, pushSource: string): void {
  if (caller === undefined || caller.permissions.push.includes(pushSource)) return;
  throw new FlightRefusal(status.PERMISSION_DENIED, `${caller.name} may not push to push source ${pushSource}`, 'forbidden');
}
