/**
 * One catalog from plain configuration (floe.yaml, env; checked by catalog-config.ts).
 * `type: sql` is SQLite or Postgres by the URI: `postgresql://…` (or `postgres://`, `postgresql+psycopg2://`,
 * `jdbc:postgresql://`) opens the Postgres driver, anything else a SQLite file (see SqlCatalog).
 */
import { FloeError } from '../../core/errors.js';
import { IO_PROPERTY } from '../io/file-io-for.js';
import { parseCatalogConfig } from './catalog-config.js';
import type { CatalogConfig, ParsedCatalogConfig, S3Settings } from './catalog-config.js';
import type { ProcessCaches } from '../process-caches.js';
import type { Redactor } from '../../core/redaction.js';
import type { Catalog } from './catalog.js';
import { isPostgresUri } from './postgres-driver.js';
import { RestCatalog } from './rest-catalog.js';
import { SqlCatalog } from './sql-catalog.js';
import { defined } from '../../contracts/defined.js';

/** `caches` and `redactor` are the process's (the runtime's); without them the catalog makes its own. */
export async function loadCatalog(
  input: CatalogConfig | unknown,
  options: { readonly caches?: ProcessCaches; readonly redactor?: Redactor } = {},
): Promise<Catalog> {
  const config = parseCatalogConfig(input);
  const properties = { ...s3Properties(config.s3), ...config.properties };
  try {
    if (config.type === 'sql') {
      return await SqlCatalog.open({
        name: config.name,
        uri: config.uri,
        create: config.create,
        ...defined({ warehouse: config.warehouse, caches: options.caches, redactor: options.redactor }),
        properties,
      });
    }
    return await RestCatalog.open({
      ...restOptions(config, properties),
      ...defined({ caches: options.caches, redactor: options.redactor }),
    });
  } catch (error) {
    if (config.type === 'sql' && FloeError.is(error, 'not-found')) {
      throw new FloeError(
        'not-found',
        `${error.detail}: check catalog.uri in floe.yaml, or set catalog.create: true to start an empty catalog there`,
        { context: { ...error.context, field: 'catalog.uri' }, cause: error },
      );
    }
    // A catalog server that cannot be reached is reported with the setting that holds its address
    // (not the address itself when it is a Postgres URI, which may hold a password).
    const server = config.type === 'rest' || isPostgresUri(config.uri);
    if (!server || !FloeError.is(error, 'io')) throw error;
    throw new FloeError('io', `${error.detail}; is the catalog server running? Its address is catalog.uri in floe.yaml`, {
      context: error.context,
      cause: error,
      retryable: error.retryable,
    });
  }
}

function restOptions(
  config: Extract<ParsedCatalogConfig, { type: 'rest' }>,
  properties: Record<string, string>,
): Parameters<typeof RestCatalog.open>[0] {
  return {
    name: config.name,
    uri: config.uri,
    ...defined({
      warehouse: config.warehouse,
      token: config.token,
      credential: config.credential,
      oauth2ServerUri: config.oauth2ServerUri,
      scope: config.scope,
      headers: config.headers,
    }),
    properties,
  };
}

/** The FileIO properties a catalog configuration gives its tables: for other files in the same storage (e.g. s3:// entity rows). */
export function catalogIoProperties(input: CatalogConfig | unknown): Record<string, string> {
  const config = parseCatalogConfig(input);
  return { ...s3Properties(config.s3), ...config.properties };
}

function s3Properties(s3: S3Settings | undefined): Record<string, string> {
  if (s3 === undefined) return {};
  const entries: [string, string | undefined][] = [
    [IO_PROPERTY.endpoint, s3.endpoint],
    [IO_PROPERTY.region, s3.region],
    [IO_PROPERTY.pathStyle, s3.pathStyle === undefined ? undefined : String(s3.pathStyle)],
    [IO_PROPERTY.accessKeyId, s3.accessKeyId],
    [IO_PROPERTY.secretAccessKey, s3.secretAccessKey],
    [IO_PROPERTY.sessionToken, s3.sessionToken],
  ];
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined));
}
