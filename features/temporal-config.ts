/**
 * floe.yaml's `temporal` section: where the Temporal frontend is, how to reach it (TLS, an API key
 * from the environment only), and the namespace and task queue Floe's workflows use.
 */
import { z } from 'zod';
import { FloeError } from '../core/errors.js';
import { defined } from '../contracts/defined.js';

/** Temporal's default `limit.maxIDLength`, which bounds namespace and task queue names too. */
const TEMPORAL_MAX_NAME_LENGTH = 1000;
const temporalName = z
  .string()
  .min(1)
  .max(TEMPORAL_MAX_NAME_LENGTH, `must be at most ${TEMPORAL_MAX_NAME_LENGTH} characters`)
  .regex(/^[^\s\p{Cc}]+$/u, 'must not contain spaces or control characters');

/**
 * TLS to the Temporal frontend: `{}` alone turns it on with the system's trusted roots (Temporal
 * Cloud); files are PEM, read when a connection is made, and relative to floe.yaml.
 */
const temporalTlsConfig = z
  .object({
    /** The CA that signed the server's certificate, when the system does not trust it. */
    caFile: z.string().min(1).optional(),
    /** The client certificate for mTLS (with keyFile). */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    /** The name the server's certificate must carry, when it is not the host of temporal.address. */
    serverName: z.string().min(1).optional(),
  })
  .strict()
  .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
    message: 'certFile and keyFile go together: give both for a client certificate, or neither',
  });
export type TemporalTlsConfig = z.infer<typeof temporalTlsConfig>;

/** The environment variables that set temporal.tls and temporal.apiKey (each overrides floe.yaml's tls field). */
export const TEMPORAL_ENVIRONMENT = {
  caFile: 'FLOE_TEMPORAL_TLS_CA_FILE',
  certFile: 'FLOE_TEMPORAL_TLS_CERT_FILE',
  keyFile: 'FLOE_TEMPORAL_TLS_KEY_FILE',
  serverName: 'FLOE_TEMPORAL_TLS_SERVER_NAME',
  apiKey: 'FLOE_TEMPORAL_API_KEY',
} as const;

export const temporalConfig = z
  .object({
    address: z.string().min(1).default('127.0.0.1:7233'),
    namespace: temporalName.default('default'),
    taskQueue: temporalName.default('floe'),
    tls: temporalTlsConfig.optional(),
    /** The Temporal Web UI's address, for links from Floe's web UI to each run's page (`floe dev` links to its own). */
    uiUrl: z
      .string()
      .url()
      .refine((url) => /^https?:\/\//i.test(url), 'must be an http:// or https:// address')
      .optional(),
    // A key written in a file ends up in version control; it comes from the environment only.
    apiKey: z
      .unknown()
      .refine(
        (value) => value === undefined,
        `is read from the ${TEMPORAL_ENVIRONMENT.apiKey} environment variable only; remove it from floe.yaml`,
      )
      .transform((): string | undefined => undefined)
      .optional(),
  })
  .strict();
export type TemporalConfig = z.infer<typeof temporalConfig>;

/** temporal.tls's fields from FLOE_TEMPORAL_TLS_*, over floe.yaml's, and temporal.apiKey from FLOE_TEMPORAL_API_KEY. */
export function temporalWithEnvironment(config: TemporalConfig, env: NodeJS.ProcessEnv, file: string): TemporalConfig {
  const fromEnvironment = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const overrides = Object.fromEntries(
    (['caFile', 'certFile', 'keyFile', 'serverName'] as const).flatMap((field) => {
      const value = fromEnvironment(TEMPORAL_ENVIRONMENT[field]);
      return value === undefined ? [] : [[field, value]];
    }),
  ) as TemporalTlsConfig;
  const tls = config.tls === undefined && Object.keys(overrides).length === 0 ? undefined : { ...config.tls, ...overrides };
  if (tls !== undefined && (tls.certFile === undefined) !== (tls.keyFile === undefined))
    throw new FloeError(
      'invalid-input',
      `${file}: temporal.tls.certFile and temporal.tls.keyFile go together (from floe.yaml or ${TEMPORAL_ENVIRONMENT.certFile} and ${TEMPORAL_ENVIRONMENT.keyFile}): give both for a client certificate, or neither`,
      { context: { file, field: 'temporal.tls' } },
    );
  const apiKey = fromEnvironment(TEMPORAL_ENVIRONMENT.apiKey);
  return { ...config, ...defined({ tls, apiKey }) };
}
