/**
 * floe.yaml: where the catalog, warehouse and Temporal are. `${VAR}` and `${VAR:-default}` are
 * replaced from the environment before validation, which is the only way secrets get in: the
 * file itself should never hold one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MAX_NAME_LENGTH } from '../iceberg/catalog/identifier.js';
import { catalogConfigSchema } from '../iceberg/catalog/catalog-config.js';
import { FloeError } from '../core/errors.js';
import type { Redactor } from '../core/redaction.js';
import { namespaceSchema } from './names.js';
import { temporalConfig, temporalWithEnvironment } from './temporal-config.js';

const engineConfig = z
  .object({
    /** DuckDB's memory_limit (e.g. `4GB`): past it, big joins and sorts spill to tempDirectory. */
    memoryLimit: z.string().optional(),
    threads: z.number().int().positive().optional(),
    tempDirectory: z.string().optional(),
    /** Cap on spilled bytes (e.g. `50GB`). */
    maxTempDirectorySize: z.string().optional(),
  })
  .strict();

const registryConfig = z
  .object({
    /**
     * Where `floe apply` keeps the versioned registry documents (`v00001.json`, …): a folder or
     * s3:// prefix. Defaults to `<warehouse>/_floe_registry/<project>` for a SQL catalog; a REST
     * catalog's warehouse is a name, not a location, so there it must be given.
     */
    location: z.string().min(1).optional(),
  })
  .strict();

/** A whole number that may also arrive as text (configuration interpolated from the environment). */
const count = z.preprocess(
  (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
  z.number().int().positive(),
);

export const DEFAULT_MAX_ENTITY_ROWS = 10_000;

const icebergConfig = z
  .object({
    /**
     * The format version of the tables Floe creates (online tables, training sets, saved datasets).
     * 3: row lineage, and merge-on-read deletes as deletion vectors; every reader must know v3.
     */
    formatVersion: z
      .preprocess(
        (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
        z.union([z.literal(2), z.literal(3)]),
      )
      .default(2),
  })
  .strict();

/** The Temporal CLI's default Web UI port, which `floe dev` keeps so UI bookmarks go on working. */
export const DEFAULT_DEV_UI_PORT = 8233;

/** A TCP port, which may also arrive as text (configuration interpolated from the environment). */
const port = z.preprocess(
  (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
  z.number().int().min(1).max(65_535),
);

const devConfig = z
  .object({
    /** The port of `floe dev`'s Temporal Web UI (its gRPC address is temporal.address). */
    uiPort: port.default(DEFAULT_DEV_UI_PORT),
  })
  .strict();

export const DEFAULT_WORKER_METRICS_HOST = '127.0.0.1';

const workerConfig = z
  .object({
    /**
     * Where a worker serves Prometheus metrics (`GET /metrics`): the Temporal SDK's (task slots,
     * latencies, sticky cache) and Floe's own (windows committed, rows written, commit attempts and
     * conflicts, activity durations). No endpoint without it.
     */
    metricsPort: port.optional(),
    /** The address the metrics endpoint listens on; `0.0.0.0` lets a Prometheus on another host scrape it. */
    metricsHost: z.string().min(1).default(DEFAULT_WORKER_METRICS_HOST),
  })
  .strict();

const names = z.array(z.string().min(1)).default([]);

/**
 * What a caller of the feature server may do: `read` every view and feature service (`true`) or the
 * named ones, `push` to the named push sources, `write` rows straight into the named views' online
 * tables, and `materialize` every view (`true`) or the named ones. The same shape for a static
 * token and for an OIDC token's permissions claim.
 */
export const serverPermissionsSchema = z
  .object({
    read: z.union([z.boolean(), z.object({ views: names, featureServices: names }).strict()]).default(false),
    push: names,
    write: names,
    materialize: z.union([z.boolean(), names]).default(false),
  })
  .strict();
export type ServerPermissions = z.infer<typeof serverPermissionsSchema>;

const serverTokenConfig = serverPermissionsSchema.extend({
  /** Who holds the token, for logs and answers. */
  name: z.string().min(1),
  /** The SHA-256 of the token, as hex: floe.yaml never holds the token itself. */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the token as 64 hex digits (`printf %s "$TOKEN" | sha256sum`)')
    .transform((hex) => hex.toLowerCase()),
});

export const DEFAULT_OIDC_PERMISSIONS_CLAIM = 'floe_permissions';

const serverOidcConfig = z
  .object({
    /** The `iss` every token must carry. */
    issuer: z.string().min(1),
    /** The `aud` every token must carry (one of them). */
    audience: z.string().min(1),
    /** Where the issuer publishes its signing keys (its JSON Web Key Set). */
    jwksUri: z.url({ protocol: /^https?$/ }),
    /** The claim holding the caller's permissions, shaped like a static token's `read` and `push`. */
    claim: z.string().min(1).default(DEFAULT_OIDC_PERMISSIONS_CLAIM),
  })
  .strict();

export const serverAuthConfigSchema = z
  .object({
    tokens: z.array(serverTokenConfig).default([]),
    oidc: serverOidcConfig.optional(),
    /** `GET /metrics` without credentials (for a Prometheus that cannot send a bearer token). */
    metricsOpen: z.boolean().default(false),
  })
  .strict()
  .refine((auth) => auth.tokens.length > 0 || auth.oidc !== undefined, 'must have tokens, oidc or both')
  .refine((auth) => new Set(auth.tokens.map((token) => token.sha256)).size === auth.tokens.length, 'two tokens have the same sha256');
export type ServerAuthConfig = z.infer<typeof serverAuthConfigSchema>;
export type ServerAuthInput = z.input<typeof serverAuthConfigSchema>;

const serverConfig = z
  .object({
    /**
     * Entity rows one `POST /get-online-features` may ask for; more is a 413. Feast clients batch
     * about a thousand; the cap keeps one request from holding the server's memory and event loop.
     */
    maxEntityRows: count.default(DEFAULT_MAX_ENTITY_ROWS),
    /** Who may call the feature server; without it every route is open (and only loopback may be served). */
    auth: serverAuthConfigSchema.optional(),
    /** HTTPS: PEM files, relative to floe.yaml. */
    tls: z
      .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
      .strict()
      .optional(),
  })
  .strict();

/** Where consistency reports go unless floe.yaml's `monitoring.consistencyTable` says otherwise. */
export const DEFAULT_CONSISTENCY_TABLE = 'floe_monitoring.consistency';

const monitoringConfig = z
  .object({
    /** The Iceberg table (`namespace.table`) consistency checks append their reports to (`floe consistency`). */
    consistencyTable: z.string().min(1).default(DEFAULT_CONSISTENCY_TABLE),
  })
  .strict();

export const DEFAULT_PUSH_MAX_DELAY_MS = 200;
export const DEFAULT_PUSH_MAX_ROWS = 50_000;

/** Group commit of pushed rows (`POST /push`, `floe push`): see features/push/. */
const pushConfig = z
  .object({
    /** How long the first request of a batch waits for others before the batch is committed. */
    maxDelayMs: z
      .preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value), z.number().int().min(0))
      .default(DEFAULT_PUSH_MAX_DELAY_MS),
    /** A batch holding this many rows is committed without waiting longer. */
    maxRows: count.default(DEFAULT_PUSH_MAX_ROWS),
  })
  .strict();
export type PushConfig = z.infer<typeof pushConfig>;

export const projectConfigSchema = z
  .object({
    project: z
      .string()
      .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
      .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, underscores or hyphens'),
    /** The catalog of the source and online tables; its `s3` settings reach every table's FileIO. */
    catalog: catalogConfigSchema,
    temporal: temporalConfig.default({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'floe' }),
    engine: engineConfig.default({}),
    online: z
      .object({ namespace: namespaceSchema.default('floe_online') })
      .strict()
      .default({ namespace: 'floe_online' }),
    registry: registryConfig.default({}),
    /** How Floe writes the Iceberg tables it creates. */
    iceberg: icebergConfig.default({ formatVersion: 2 }),
    /** The feature server (`floe serve`, `floe dev`). */
    server: serverConfig.default({ maxEntityRows: DEFAULT_MAX_ENTITY_ROWS }),
    push: pushConfig.default({ maxDelayMs: DEFAULT_PUSH_MAX_DELAY_MS, maxRows: DEFAULT_PUSH_MAX_ROWS }),
    /** Worker processes (`floe worker`, `npm run worker`, `floe dev`'s worker). */
    worker: workerConfig.default({ metricsHost: DEFAULT_WORKER_METRICS_HOST }),
    /** `floe dev`, the local development server. */
    dev: devConfig.default({ uiPort: DEFAULT_DEV_UI_PORT }),
    /** Where Floe records what it measures about itself. */
    monitoring: monitoringConfig.default({ consistencyTable: DEFAULT_CONSISTENCY_TABLE }),
    /** The TypeScript module that exports the definitions, relative to floe.yaml. */
    definitions: z.string().default('features.ts'),
    /** Where workers keep scratch files and the object-store cache. */
    workDirectory: z.string().default('.floe/work'),
  })
  .strict();

export type ProjectConfig = z.infer<typeof projectConfigSchema>;

/** Reads floe.yaml; every secret it holds is registered on `redactor` (the process's) when one is given. */
export async function readProjectConfig(file: string, env: NodeJS.ProcessEnv = process.env, redactor?: Redactor): Promise<ProjectConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FloeError('not-found', `Cannot read the project file ${file}; run \`npx floe init\` to create one`, {
      context: { file },
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new FloeError('invalid-input', `${file} is not valid YAML: ${(error as Error).message}`, { context: { file }, cause: error });
  }
  const result = projectConfigSchema.safeParse(interpolate(raw, env, file));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new FloeError('invalid-input', `${file} is invalid: ${problems}`, {
      context: { file, field: result.error.issues[0]?.path.join('.') },
    });
  }
  const config = { ...result.data, temporal: temporalWithEnvironment(result.data.temporal, env, file) };
  redactor?.register(configSecrets(config, env));
  return resolvePaths(config, path.dirname(path.resolve(file)));
}

/**
 * Every secret the configuration holds, for the process's redactor (core/redaction.ts), so no
 * error, log line, output or workflow failure repeats one, whatever a server echoes back.
 */
export function configSecrets(config: ProjectConfig, env: NodeJS.ProcessEnv = process.env): (string | undefined)[] {
  const { catalog } = config;
  // An S3 access key id names a key, like a user name (and often matches a bucket's name): it is not one.
  const secrets: (string | undefined)[] = [
    catalog.s3?.secretAccessKey,
    catalog.s3?.sessionToken,
    env.PGPASSWORD,
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
    config.temporal.apiKey,
  ];
  for (const [name, value] of Object.entries(catalog.properties ?? {})) if (SECRET_PROPERTY.test(name)) secrets.push(value);
  if (catalog.type === 'rest') {
    secrets.push(catalog.token, catalog.credential, catalog.credential?.slice(catalog.credential.indexOf(':') + 1));
    for (const [name, value] of Object.entries(catalog.headers ?? {}))
      if (SECRET_HEADER.test(name)) secrets.push(value, value.replace(/^\S+\s+/, ''));
  } else {
    secrets.push(...uriPasswords(catalog.uri));
  }
  return secrets;
}

const SECRET_PROPERTY = /secret|token|password|credential/i;
const SECRET_HEADER = /authorization|token|secret|api-key|cookie/i;

/** The password of a `postgresql://user:password@host/db` URI, in the user-info or a `password` parameter, as written and decoded. */
function uriPasswords(uri: string): string[] {
  const found: string[] = [];
  const userInfo = /^[a-z][a-z0-9+.:-]*:\/\/[^:/@]*:(.*)@[^@]*$/i.exec(uri);
  if (userInfo) found.push(userInfo[1]!);
  const parameter = /[?&]password=([^&#]*)/i.exec(uri);
  if (parameter) found.push(parameter[1]!);
  return found.flatMap((value) => {
    try {
      return [value, decodeURIComponent(value)];
    } catch {
      return [value];
    }
  });
}

/** Relative local paths in the file are relative to the file, not to wherever the command runs. */
function resolvePaths(config: ProjectConfig, directory: string): ProjectConfig {
  const local = (value: string): string =>
    /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || path.isAbsolute(value) ? value : path.resolve(directory, value);
  const { catalog: declared } = config;
  // A REST catalog's warehouse is a name the server knows, not a path.
  const catalog =
    declared.type === 'sql'
      ? {
          ...declared,
          uri: resolveSqlUri(declared.uri, local),
          ...(declared.warehouse === undefined ? {} : { warehouse: local(declared.warehouse) }),
        }
      : declared;
  const registry =
    config.registry.location === undefined ? config.registry : { ...config.registry, location: local(config.registry.location) };
  const engine =
    config.engine.tempDirectory === undefined ? config.engine : { ...config.engine, tempDirectory: local(config.engine.tempDirectory) };
  const { tls: serverTls } = config.server;
  const server =
    serverTls === undefined
      ? config.server
      : { ...config.server, tls: { certFile: local(serverTls.certFile), keyFile: local(serverTls.keyFile) } };
  const { tls } = config.temporal;
  const temporal =
    tls === undefined
      ? config.temporal
      : {
          ...config.temporal,
          tls: {
            ...tls,
            ...(tls.caFile === undefined ? {} : { caFile: local(tls.caFile) }),
            ...(tls.certFile === undefined ? {} : { certFile: local(tls.certFile) }),
            ...(tls.keyFile === undefined ? {} : { keyFile: local(tls.keyFile) }),
          },
        };
  return {
    ...config,
    catalog,
    engine,
    registry,
    server,
    temporal,
    definitions: local(config.definitions),
    workDirectory: local(config.workDirectory),
  };
}

/** A SQLite file named by a bare path is resolved like any local path; URIs are left as given. */
function resolveSqlUri(uri: string, local: (value: string) => string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri === ':memory:') return uri;
  return local(uri);
}

const reference = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(value: unknown, env: NodeJS.ProcessEnv, file: string): unknown {
  if (typeof value === 'string') {
    return value.replace(reference, (_match, variable: string, fallback: string | undefined) => {
      const found = env[variable];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw new FloeError('invalid-input', `${file} refers to the environment variable ${variable}, which is not set`, {
        context: { file, variable },
      });
    });
  }
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env, file));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env, file)]));
  return value;
}
