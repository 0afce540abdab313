/**
 * The one way Floe connects to Temporal: the worker, `floe dev`, every CLI command and the schedule
 * client, and `floe/worker`'s connectWorker. TLS files are read here, at connect time, so their
 * contents never travel further than the SDK's connection options; a failure names the address
 * and the setting to look at, never a file's content or the API key.
 */
import { readFile } from 'node:fs/promises';
import { Connection, type TLSConfig } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { TEMPORAL_ENVIRONMENT, type TemporalConfig, type TemporalTlsConfig } from '../features/temporal-config.js';
import { FloeError } from '../core/errors.js';
import { defined } from '../contracts/defined.js';

/** Where Temporal is and how to prove who we are: floe.yaml's `temporal` section, or as much of it as a caller has. */
export type TemporalConnectionSettings = Pick<TemporalConfig, 'address'> & Partial<Pick<TemporalConfig, 'tls' | 'apiKey'>>;

export interface TemporalConnectionOptions {
  readonly address: string;
  /** Absent: plaintext (or, with an API key, TLS with the system's roots, as the SDK does). */
  readonly tls?: TLSConfig;
  /** Sent as `authorization: Bearer <key>` on every call. */
  readonly apiKey?: string;
}

/** The SDK's connection options for the settings, reading the TLS files now. */
export async function temporalConnectionOptions(settings: TemporalConnectionSettings): Promise<TemporalConnectionOptions> {
  const { address, tls, apiKey } = settings;
  return {
    address,
    ...(tls === undefined ? {} : { tls: await readTls(tls) }),
    ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
  };
}

async function readTls(tls: TemporalTlsConfig): Promise<TLSConfig> {
  const [ca, certificate, key] = await Promise.all([
    tls.caFile === undefined ? undefined : readPem('caFile', tls.caFile),
    tls.certFile === undefined ? undefined : readPem('certFile', tls.certFile),
    tls.keyFile === undefined ? undefined : readPem('keyFile', tls.keyFile),
  ]);
  return {
    ...defined({ serverRootCACertificate: ca }),
    ...(certificate !== undefined && key !== undefined ? { clientCertPair: { crt: certificate, key } } : {}),
    ...defined({ serverNameOverride: tls.serverName }),
  };
}

async function readPem(field: 'caFile' | 'certFile' | 'keyFile', file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new FloeError(
      'invalid-input',
      `Cannot read temporal.tls.${field} ${file} (${reason}); it is set in floe.yaml or ${TEMPORAL_ENVIRONMENT[field]}`,
      { context: { field: `temporal.tls.${field}`, file } },
    );
  }
}

/** A client connection (CLI commands, the schedule client); close it with `connection.close()`. */
export async function connectTemporalClient(settings: TemporalConnectionSettings, connectTimeoutMs?: number): Promise<Connection> {
  const options = await temporalConnectionOptions(settings);
  try {
    return await Connection.connect({ ...options, ...defined({ connectTimeout: connectTimeoutMs }) });
  } catch (error) {
    throw connectionFailure(options, error, connectTimeoutMs);
  }
}

/** A worker connection; close it with `connection.close()` once its workers have stopped. */
export async function connectTemporalWorker(settings: TemporalConnectionSettings): Promise<NativeConnection> {
  const options = await temporalConnectionOptions(settings);
  // Loaded here, not at the top: the worker SDK (and its native bridge) would slow every CLI command's start.
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await NativeConnection.connect(options);
  } catch (error) {
    throw connectionFailure(options, error);
  }
}

/**
 * What went wrong, in the terms of the settings: credentials the server asked for or refused (an
 * API key: HTTP 401 / UNAUTHENTICATED), a client certificate it refused (an mTLS proxy answers the
 * request 400, a server ends the handshake), or a server not answering — which, over TLS, is also
 * how a server certificate this side does not trust shows. The SDK's own error stays the cause.
 */
function connectionFailure(options: TemporalConnectionOptions, error: unknown, connectTimeoutMs?: number): FloeError {
  const { address } = options;
  const said = causeChain(error);
  const tlsSettings = `temporal.tls in floe.yaml (or ${TEMPORAL_ENVIRONMENT.caFile}, ${TEMPORAL_ENVIRONMENT.certFile}, ${TEMPORAL_ENVIRONMENT.keyFile}, ${TEMPORAL_ENVIRONMENT.serverName})`;
  if (/\b401\b|unauthenticated|unauthorized/i.test(said))
    return new FloeError(
      'invalid-input',
      options.apiKey === undefined
        ? `The Temporal server at ${address} asks for credentials: set ${TEMPORAL_ENVIRONMENT.apiKey} to an API key, or give a client certificate in ${tlsSettings}`
        : `The Temporal server at ${address} refused the API key in ${TEMPORAL_ENVIRONMENT.apiKey}: check the key, its namespace and its expiry`,
      { cause: error },
    );
  if (/\b403\b|permission.?denied/i.test(said))
    return new FloeError(
      'invalid-input',
      `The Temporal server at ${address} refused these credentials access: check ${TEMPORAL_ENVIRONMENT.apiKey} or the client certificate in ${tlsSettings}`,
      { cause: error },
    );
  const overTls = options.tls !== undefined || options.apiKey !== undefined;
  if (overTls && /UnknownIssuer|NotValidForName|InvalidCertificate|certificate verify failed/i.test(said))
    return new FloeError(
      'invalid-input',
      `The certificate of the Temporal server at ${address} is not trusted here: set temporal.tls.caFile to the CA that signed it, and temporal.tls.serverName when it names another host than the address's (${tlsSettings})`,
      { cause: error },
    );
  if (overTls && /certificate|handshake|\btls\b|\bssl\b|alert|\b400\b|\b49[56]\b/i.test(said))
    return new FloeError(
      'invalid-input',
      options.tls?.clientCertPair === undefined
        ? `The Temporal server at ${address} refused the TLS connection without a client certificate: set temporal.tls.certFile and temporal.tls.keyFile in ${tlsSettings}`
        : `The Temporal server at ${address} refused the TLS connection or its client certificate: check ${tlsSettings}`,
      { cause: error },
    );
  const within = connectTimeoutMs === undefined ? '' : ` within ${connectTimeoutMs / 1000} s`;
  return new FloeError(
    'io',
    overTls
      ? `Cannot reach the Temporal server at ${address} over TLS${within}: is it running, and is its certificate signed by the CA in temporal.tls.caFile (or one the system trusts) for the name in temporal.tls.serverName (or the address's host)? The address is temporal.address in floe.yaml; the TLS settings are ${tlsSettings}`
      : `Cannot reach the Temporal server at ${address}${within}: is it running? The address is temporal.address in floe.yaml (the init template reads it from FLOE_TEMPORAL_ADDRESS)`,
    { cause: error },
  );
}

/** The messages of an error and its causes, which is where the SDKs put the gRPC status. */
function causeChain(error: unknown): string {
  const messages: string[] = [];
  for (
    let current = error;
    current !== undefined && current !== null && messages.length < 8;
    current = (current as { cause?: unknown }).cause
  )
    messages.push(current instanceof Error ? current.message : String(current));
  return messages.join('\n');
}
