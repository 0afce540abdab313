import { status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import { FloeError } from '../../core/errors.js';
import type { Redactor } from '../../core/redaction.js';
import { GrpcRefusal } from '../grpc/grpc-endpoint.js';

/** A refusal made by the offline endpoint itself (credentials, permissions, an unknown ticket), with its gRPC status. */
export class FlightRefusal extends GrpcRefusal {}

/**
 * The gRPC status an error answers with. Its details are Feast's error detail (`{"module", "class",
 * "message"}`), which Feast's client finds in the Flight error and raises as that Feast exception,
 * Floe's message kept. Anything that is not the caller's to fix is a bare INTERNAL; its cause goes
 * to the server's log (`internal` is true). Messages are redacted by the process's `redactor`.
 */
export function flightStatus(error: unknown, redactor: Redactor): { status: Partial<StatusObject>; internal: boolean } {
  if (error instanceof GrpcRefusal)
    return { status: { code: error.code, details: feastDetail(error.kind, error.message, 'FeastError') }, internal: false };
  if (FloeError.is(error)) {
    const code =
      error.kind === 'not-found'
        ? status.NOT_FOUND
        : error.kind === 'invalid-input'
          ? status.INVALID_ARGUMENT
          : error.kind === 'unsupported'
            ? status.UNIMPLEMENTED
            : error.kind === 'already-exists'
              ? status.ALREADY_EXISTS
              : undefined;
    if (code !== undefined)
      return {
        status: {
          code,
          details: feastDetail(
            error.kind,
            redactor.redact(error.message),
            error.kind === 'not-found' ? 'FeastObjectNotFoundException' : 'FeastError',
          ),
        },
        internal: false,
      };
  }
  return {
    status: {
      code: status.INTERNAL,
      details: feastDetail('internal', "Floe's offline endpoint failed to answer; see its log", 'FeastError'),
    },
    internal: true,
  };
}

/**
 * Feast's client looks for its error detail after "Flight error: " in the text of the Flight error
 * (what pyarrow's server writes for a raised FlightError), so the details start with it.
 */
function feastDetail(kind: string, message: string, feastClass: string): string {
  return `Flight error: ${JSON.stringify({ module: 'feast.errors', class: feastClass, message, error: kind })}`;
}
