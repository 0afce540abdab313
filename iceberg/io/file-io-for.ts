/**
 * Picks the FileIO for a location from its scheme, configured by catalog and table properties
 * named as pyiceberg and Java name them (`s3.endpoint`, `s3.access-key-id`, …). Later sources win:
 * catalog config defaults, then table config from the catalog (REST `config`), then overrides.
 */
import { FloeError } from '../../core/errors.js';
import type { FileIO } from './file-io.js';
import { LocalFileIO } from './local-file-io.js';
import { S3FileIO } from './s3-file-io.js';
import type { S3Config } from './s3-file-io.js';
import { isS3Location } from './s3-location.js';
import type { ProcessCaches } from '../process-caches.js';

export type IoProperties = Readonly<Record<string, string | undefined>>;

export const IO_PROPERTY = {
  endpoint: 's3.endpoint',
  region: 's3.region',
  clientRegion: 'client.region',
  accessKeyId: 's3.access-key-id',
  secretAccessKey: 's3.secret-access-key',
  sessionToken: 's3.session-token',
  /** Java's name; pyiceberg's inverse is `s3.force-virtual-addressing`. */
  pathStyle: 's3.path-style-access',
  forceVirtualAddressing: 's3.force-virtual-addressing',
  cacheDirectory: 'floe.io.cache-dir',
  cacheMaxBytes: 'floe.io.cache-max-bytes',
} as const;

/** Properties whose values must never be logged, persisted or shown in an error. */
export const SECRET_PROPERTIES: ReadonlySet<string> = new Set([
  IO_PROPERTY.secretAccessKey,
  IO_PROPERTY.sessionToken,
  'token',
  'credential',
]);

export function mergeIoProperties(...sources: readonly (IoProperties | undefined)[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source ?? {})) if (value !== undefined) merged[key] = value;
  }
  return merged;
}

export function s3ConfigFrom(properties: IoProperties): S3Config {
  const endpoint = properties[IO_PROPERTY.endpoint];
  const pathStyle = parseBoolean(properties[IO_PROPERTY.pathStyle], IO_PROPERTY.pathStyle);
  const virtual = parseBoolean(properties[IO_PROPERTY.forceVirtualAddressing], IO_PROPERTY.forceVirtualAddressing);
  const cacheMaxBytes = properties[IO_PROPERTY.cacheMaxBytes];
  const config: Record<string, unknown> = {
    endpoint,
    region: properties[IO_PROPERTY.region] ?? properties[IO_PROPERTY.clientRegion],
    // A custom endpoint (MinIO, R2, …) usually wants path-style; say otherwise explicitly.
    pathStyle: pathStyle ?? (virtual === undefined ? endpoint !== undefined : !virtual),
    accessKeyId: properties[IO_PROPERTY.accessKeyId],
    secretAccessKey: properties[IO_PROPERTY.secretAccessKey],
    sessionToken: properties[IO_PROPERTY.sessionToken],
    cacheDirectory: properties[IO_PROPERTY.cacheDirectory],
    cacheMaxBytes: cacheMaxBytes === undefined ? undefined : parsePositiveInt(cacheMaxBytes, IO_PROPERTY.cacheMaxBytes),
  };
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined)) as S3Config;
}

/** A FileIO for `location`; an S3 one caches the files it localizes under `caches`' folder unless `floe.io.cache-dir` names another. */
export function fileIOFor(location: string, properties: IoProperties, caches: ProcessCaches): FileIO {
  if (isS3Location(location)) return new S3FileIO({ cacheDirectory: caches.fileCacheDirectory, ...s3ConfigFrom(properties) });
  if (location.startsWith('file:') || location.startsWith('/')) return new LocalFileIO();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(location)?.[1];
  throw new FloeError(
    'unsupported',
    `No FileIO for ${scheme === undefined ? 'relative location' : `scheme ${scheme}:`} in ${location}; Floe reads s3://, s3a://, file:// and absolute paths`,
    {
      context: { location },
    },
  );
}

/** One FileIO per distinct configuration, so a catalog does not build an S3 client per table load. */
export class FileIOCache {
  private readonly ios = new Map<string, FileIO>();

  constructor(private readonly caches: ProcessCaches) {}

  get(location: string, properties: IoProperties = {}): FileIO {
    const kind = isS3Location(location) ? 's3' : 'other';
    const key = `${kind}\0${JSON.stringify(
      Object.entries(properties)
        .filter(([name]) => name.startsWith('s3.') || name.startsWith('client.') || name.startsWith('floe.io.'))
        .sort(),
    )}`;
    let io = this.ios.get(key);
    if (io === undefined) {
      io = fileIOFor(location, properties, this.caches);
      this.ios.set(key, io);
    }
    return io;
  }
}

function parseBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  const lower = value.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new FloeError('invalid-input', `Property ${name} must be true or false, got ${JSON.stringify(value)}`, {
    context: { property: name },
  });
}

function parsePositiveInt(value: string, name: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0)
    throw new FloeError('invalid-input', `Property ${name} must be a positive integer, got ${JSON.stringify(value)}`, {
      context: { property: name },
    });
  return number;
}
