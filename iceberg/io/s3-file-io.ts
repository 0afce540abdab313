/**
 * FileIO on S3 and S3-compatible stores (MinIO, R2, …) with @aws-sdk/client-s3. Metadata and
 * manifest files are immutable, so their reads are kept in a small in-memory LRU; data files are
 * localized into a bounded on-disk cache for DuckDB.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LRUCache } from 'lru-cache';
import { FloeError } from '../../core/errors.js';
import { isTransientHttpStatus } from '../../core/transient-http-status.js';
import { mapWithConcurrency } from '../util/concurrency.js';
import type { FileInfo, FileIO, WriteOptions } from './file-io.js';
import { LocalFileCache } from './local-cache.js';
import { scratchFolders } from '../process-caches.js';
import { parseS3Location, s3LocationOf } from './s3-location.js';
import { defined } from '../../contracts/defined.js';

export interface S3Config {
  readonly endpoint?: string;
  readonly region?: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`: MinIO and most self-hosted stores need it. */
  readonly pathStyle?: boolean;
  /** Without these, the AWS default provider chain (env, profile, instance role…) is used. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
  /** Where localized files are kept; a temporary folder's `file-cache` (scratchFolders) without. */
  readonly cacheDirectory?: string;
  readonly cacheMaxBytes?: number;
  readonly memoryCacheMaxBytes?: number;
  /** Uploads above this size go in parts. */
  readonly multipartThresholdBytes?: number;
  readonly partSizeBytes?: number;
  /** Localized downloads above this size are fetched as parallel ranged GETs. */
  readonly rangedReadThresholdBytes?: number;
  readonly concurrency?: number;
  /** Keys per ListObjectsV2 page (S3's maximum is 1000). */
  readonly listPageSize?: number;
}

const MiB = 1024 * 1024;
const DEFAULTS = {
  cacheMaxBytes: 1024 * MiB,
  memoryCacheMaxBytes: 32 * MiB,
  multipartThresholdBytes: 64 * MiB,
  partSizeBytes: 16 * MiB,
  rangedReadThresholdBytes: 32 * MiB,
  concurrency: 4,
  listPageSize: 1000,
};
const CONNECT_TIMEOUT_MS = 5_000;
/** No byte in either direction for this long fails the request (a whole large download may take longer). */
const IDLE_TIMEOUT_MS = 30_000;
/** Files worth keeping in memory: immutable and read again on every plan. */
const MEMORY_CACHED = /(\.metadata\.json|\.avro)$/;

export class S3FileIO implements FileIO {
  readonly client: S3Client;
  private readonly settings: typeof DEFAULTS;
  private readonly cache: LocalFileCache;
  private readonly memory: LRUCache<string, Uint8Array>;
  private conditionalWritesUnsupported = false;

  constructor(config: S3Config = {}) {
    this.settings = {
      cacheMaxBytes: config.cacheMaxBytes ?? DEFAULTS.cacheMaxBytes,
      memoryCacheMaxBytes: config.memoryCacheMaxBytes ?? DEFAULTS.memoryCacheMaxBytes,
      multipartThresholdBytes: config.multipartThresholdBytes ?? DEFAULTS.multipartThresholdBytes,
      partSizeBytes: Math.max(5 * MiB, config.partSizeBytes ?? DEFAULTS.partSizeBytes), // S3's minimum part size
      rangedReadThresholdBytes: config.rangedReadThresholdBytes ?? DEFAULTS.rangedReadThresholdBytes,
      concurrency: Math.max(1, config.concurrency ?? DEFAULTS.concurrency),
      listPageSize: config.listPageSize ?? DEFAULTS.listPageSize,
    };
    this.client = new S3Client({
      region: config.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
      ...defined({ endpoint: config.endpoint }),
      forcePathStyle: config.pathStyle ?? false,
      ...(config.accessKeyId === undefined || config.secretAccessKey === undefined
        ? {}
        : {
            credentials: {
              accessKeyId: config.accessKeyId,
              secretAccessKey: config.secretAccessKey,
              ...defined({ sessionToken: config.sessionToken }),
            },
          }),
      // Bounded waits: a store that does not accept the connection, or stops sending mid-request,
      // fails the request within seconds; the SDK's standard retry (jittered, sub-second waits at
      // these attempt counts) retries it, and what still fails is a retryable FloeError.
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
      maxAttempts: 4,
      retryMode: 'standard',
      // S3-compatible stores do not all accept the SDK's default request checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.cache = new LocalFileCache(config.cacheDirectory ?? scratchFolders().fileCacheDirectory, this.settings.cacheMaxBytes);
    this.memory = new LRUCache({
      maxSize: Math.max(1, this.settings.memoryCacheMaxBytes),
      sizeCalculation: (bytes) => Math.max(1, bytes.byteLength),
    });
  }

  async read(location: string): Promise<Uint8Array> {
    const cached = this.memory.get(location);
    if (cached !== undefined) return cached;
    const { bucket, key } = parseS3Location(location);
    const bytes = await this.call('read', location, async () => {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (response.Body === undefined) throw new FloeError('io', `S3 returned no body for ${location}`, { context: { location } });
      return response.Body.transformToByteArray();
    });
    if (MEMORY_CACHED.test(location)) this.memory.set(location, bytes);
    return bytes;
  }

  async readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    const { bucket, key } = parseS3Location(location);
    const bytes = await this.call('read', location, async () => {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }),
      );
      return response.Body?.transformToByteArray();
    });
    if (bytes?.byteLength !== length) {
      throw new FloeError('corrupt', `File ${location} ends before byte ${offset + length}`, { context: { location } });
    }
    return bytes;
  }

  async write(location: string, data: Uint8Array, options: WriteOptions = {}): Promise<void> {
    const { bucket, key } = parseS3Location(location);
    await this.conditionalPut(location, options, (ifNoneMatch) =>
      this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: data,
          ContentLength: data.byteLength,
          ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
      ),
    );
    this.memory.delete(location);
  }

  async upload(localPath: string, location: string, options: WriteOptions = {}): Promise<void> {
    const { size } = await stat(localPath);
    if (size <= this.settings.multipartThresholdBytes) {
      const handle = await open(localPath, 'r');
      try {
        await this.write(location, new Uint8Array(await handle.readFile()), options);
      } finally {
        await handle.close();
      }
      return;
    }
    await this.multipartUpload(localPath, size, location, options);
  }

  async exists(location: string): Promise<boolean> {
    try {
      await this.head(location);
      return true;
    } catch (error) {
      if (FloeError.is(error, 'not-found')) return false;
      throw error;
    }
  }

  async stat(location: string): Promise<FileInfo> {
    const head = await this.head(location);
    return { location, size: head.size, lastModifiedMs: head.lastModifiedMs };
  }

  async delete(location: string): Promise<void> {
    const { bucket, key } = parseS3Location(location);
    this.memory.delete(location);
    await this.call('delete', location, () => this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    const { bucket, key } = parseS3Location(prefix);
    const scheme = prefix.slice(0, prefix.indexOf(':') + 1);
    const pages = paginateListObjectsV2({ client: this.client, pageSize: this.settings.listPageSize }, { Bucket: bucket, Prefix: key });
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield {
            location: s3LocationOf(bucket, object.Key, scheme),
            size: object.Size ?? 0,
            lastModifiedMs: object.LastModified?.getTime() ?? 0,
          };
        }
      }
    } catch (error) {
      throw s3Error(error, 'list', prefix);
    }
  }

  async localize(location: string): Promise<string> {
    const head = await this.head(location);
    return this.cache.get({ location, size: head.size, etag: head.etag }, (temp) => this.download(location, head, temp));
  }

  private async head(location: string): Promise<{ size: number; etag: string; lastModifiedMs: number }> {
    const { bucket, key } = parseS3Location(location);
    const response = await this.call('stat', location, () => this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
    return { size: response.ContentLength ?? 0, etag: response.ETag ?? '', lastModifiedMs: response.LastModified?.getTime() ?? 0 };
  }

  private async download(location: string, head: { size: number; etag: string }, temp: string): Promise<void> {
    const { bucket, key } = parseS3Location(location);
    const ifMatch = head.etag === '' ? {} : { IfMatch: head.etag };
    if (head.size <= this.settings.rangedReadThresholdBytes) {
      await this.call('download', location, async () => {
        const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...ifMatch }));
        await pipeline(response.Body as Readable, createWriteStream(temp, { flags: 'wx' }));
      });
      return;
    }
    const handle = await open(temp, 'wx');
    try {
      const rangeSize = this.settings.partSizeBytes;
      const starts = Array.from({ length: Math.ceil(head.size / rangeSize) }, (_, index) => index * rangeSize);
      await mapWithConcurrency(starts, this.settings.concurrency, async (start) => {
        const end = Math.min(start + rangeSize, head.size) - 1;
        const bytes = await this.call('download', location, async () => {
          const response = await this.client.send(
            new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}`, ...ifMatch }),
          );
          return response.Body?.transformToByteArray();
        });
        if (bytes?.byteLength !== end - start + 1)
          throw new FloeError('io', `Short ranged read of ${location} at ${start}`, { context: { location } });
        await handle.write(bytes, 0, bytes.byteLength, start);
      });
    } finally {
      await handle.close();
    }
  }

  private async multipartUpload(localPath: string, size: number, location: string, options: WriteOptions): Promise<void> {
    const { bucket, key } = parseS3Location(location);
    if (options.ifAbsent && (await this.exists(location))) throw alreadyExists(location);
    const created = await this.call('upload', location, () =>
      this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key })),
    );
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new FloeError('io', `S3 did not start a multipart upload for ${location}`, { context: { location } });
    const handle = await open(localPath, 'r');
    try {
      const partSize = this.settings.partSizeBytes;
      const numbers = Array.from({ length: Math.ceil(size / partSize) }, (_, index) => index + 1);
      const parts: CompletedPart[] = [];
      await mapWithConcurrency(numbers, this.settings.concurrency, async (partNumber) => {
        const start = (partNumber - 1) * partSize;
        const length = Math.min(partSize, size - start);
        const buffer = new Uint8Array(length);
        await handle.read(buffer, 0, length, start);
        const response = await this.call('upload', location, () =>
          this.client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: partNumber,
              Body: buffer,
              ContentLength: length,
            }),
          ),
        );
        parts.push({ PartNumber: partNumber, ETag: response.ETag });
      });
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await this.conditionalPut(location, options, (ifNoneMatch) =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
            ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          }),
        ),
      );
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw error;
    } finally {
      await handle.close();
    }
  }

  /**
   * A write that, with `ifAbsent`, sends `If-None-Match: *` so the store refuses to replace an
   * existing object atomically. Stores that do not implement conditional writes answer 501; for
   * them we fall back to a HEAD check followed by the plain write. That fallback is NOT atomic (two
   * writers can both see "absent"), which is acceptable only because Floe names metadata files with
   * a fresh uuid and the catalog's pointer swap is what decides a commit.
   */
  private async conditionalPut(location: string, options: WriteOptions, send: (ifNoneMatch: boolean) => Promise<unknown>): Promise<void> {
    if (options.ifAbsent && this.conditionalWritesUnsupported) return this.checkThenPut(location, send);
    try {
      await this.call('write', location, () => send(options.ifAbsent === true));
    } catch (error) {
      if (!(options.ifAbsent && isNotImplemented(error))) throw error;
      this.conditionalWritesUnsupported = true; // the store will not learn it: stop asking
      await this.checkThenPut(location, send);
    }
  }

  private async checkThenPut(location: string, send: (ifNoneMatch: boolean) => Promise<unknown>): Promise<void> {
    if (await this.exists(location)) throw alreadyExists(location);
    await this.call('write', location, () => send(false));
  }

  private async call<T>(verb: string, location: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw s3Error(error, verb, location);
    }
  }
}

interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkError | null)?.$metadata?.httpStatusCode;
}

function isNotImplemented(error: unknown): boolean {
  const cause = FloeError.is(error) ? error.cause : error;
  return statusOf(cause) === 501 || (cause as SdkError | null)?.name === 'NotImplemented';
}

function alreadyExists(location: string, cause?: unknown): FloeError {
  return new FloeError('already-exists', `File ${location} already exists`, { context: { location }, cause });
}

/** SDK errors as FloeErrors. Only the location goes into messages: never credentials or signed URLs. */
function s3Error(error: unknown, verb: string, location: string): FloeError {
  if (FloeError.is(error)) return error;
  const status = statusOf(error);
  const name = (error as SdkError | null)?.name ?? 'Error';
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
    return new FloeError('not-found', `Cannot ${verb} ${location}: no such object`, { context: { location }, cause: error });
  }
  if (name === 'NoSuchBucket')
    return new FloeError('not-found', `Cannot ${verb} ${location}: the bucket does not exist`, { context: { location }, cause: error });
  if (status === 412 || name === 'PreconditionFailed') {
    // A read sends If-Match with the ETag it planned on: there 412 means the object changed under it.
    if (verb === 'download')
      return new FloeError('io', `Cannot ${verb} ${location}: the object changed while it was being read`, {
        context: { location },
        cause: error,
        retryable: true,
      });
    return alreadyExists(location, error);
  }
  if (status === 501 || name === 'NotImplemented') {
    return new FloeError('unsupported', `Cannot ${verb} ${location}: the store does not implement this request`, {
      context: { location },
      cause: error,
      retryable: false,
    });
  }
  // 4xx other than throttling will not pass by retrying (bad credentials, access denied, bad request);
  // S3's 409 (a conflicting request on the object was in progress: OperationAborted,
  // ConditionalRequestConflict) does.
  const retryable = status === undefined || isTransientHttpStatus(status) || status === 409;
  return new FloeError('io', `Cannot ${verb} ${location}: ${name}${status === undefined ? '' : ` (HTTP ${status})`}`, {
    context: { location },
    cause: error,
    retryable,
  });
}
