/** MinIO, the S3 server for tests: a data dir in the run's temp dir, fixed test credentials, bucket `floe-test`. */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cachedGoBinaryPath, ensureGoBinary, prefetchGoModules, type GoBinary } from './go-install.js';
import { logFile } from './paths.js';
import { freePorts } from './ports.js';
import { httpGetOk, startProcess, waitUntilHealthy } from './process.js';
import type { RunningService } from './service.js';

// MinIO tags are not semver; this pseudo-version is the newest on the Go proxy and its go.mod has
// no replace directive, so `go install` accepts it.
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
export const TEST_BUCKET = 'floe-test';
export const TEST_REGION = 'us-east-1';

const minio: GoBinary = {
  what: 'MinIO',
  why: 'storage tests need a real S3 server (first build takes a few minutes, then it is cached)',
  installTarget: `github.com/minio/minio@${MINIO_VERSION}`,
  folder: `minio-${MINIO_VERSION.replace(/^v0\.0\.0-/, '')}`,
  binaryName: 'minio',
};

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Test-only credentials: from MINIO_ROOT_USER / MINIO_ROOT_PASSWORD, else fixed defaults. */
export function testCredentials(): S3Credentials {
  return {
    accessKeyId: process.env.MINIO_ROOT_USER || 'floe-test',
    secretAccessKey: process.env.MINIO_ROOT_PASSWORD || 'floe-test-secret',
  };
}

export function minioInstalled(): string | undefined {
  const cached = cachedGoBinaryPath(minio);
  return existsSync(cached) ? cached : undefined;
}

export async function installMinio(): Promise<string> {
  return ensureGoBinary(minio);
}

/** Downloads what MinIO's build needs while another Go build runs (go-install.ts). */
export function prefetchMinioModules(): void {
  prefetchGoModules(minio);
}

export async function startMinio(runDir: string): Promise<RunningService> {
  const binary = await installMinio();
  const [port, consolePort] = (await freePorts(2)) as [number, number];
  const dataDir = join(runDir, 'minio-data');
  mkdirSync(dataDir, { recursive: true });
  const credentials = testCredentials();
  const endpoint = `http://127.0.0.1:${port}`;
  const managed = startProcess({
    name: 'minio',
    command: binary,
    // The console is switched off (MINIO_BROWSER=off) but still gets a loopback port so it never
    // picks one on every interface.
    args: ['server', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, dataDir],
    env: {
      ...process.env,
      MINIO_ROOT_USER: credentials.accessKeyId,
      MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
    },
    log: logFile('minio'),
  });
  try {
    await waitUntilHealthy(
      managed,
      `GET ${endpoint}/minio/health/live`,
      async () => void (await httpGetOk(`${endpoint}/minio/health/live`)),
      60_000,
    );
    await waitUntilHealthy(managed, `CreateBucket ${TEST_BUCKET}`, () => createBucket(endpoint, credentials), 30_000);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return {
    name: 'minio',
    processes: [managed],
    env: {
      FLOE_TEST_S3_ENDPOINT: endpoint,
      FLOE_TEST_S3_REGION: TEST_REGION,
      FLOE_TEST_S3_BUCKET: TEST_BUCKET,
      FLOE_TEST_S3_ACCESS_KEY_ID: credentials.accessKeyId,
      FLOE_TEST_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    summary: [`MinIO (S3)     ${endpoint} bucket ${TEST_BUCKET}, region ${TEST_REGION}, path-style`],
  };
}

async function createBucket(endpoint: string, credentials: S3Credentials): Promise<void> {
  const client = new S3Client({ endpoint, region: TEST_REGION, forcePathStyle: true, credentials });
  try {
    await client.send(new CreateBucketCommand({ Bucket: TEST_BUCKET }));
  } catch (error) {
    if (error instanceof Error && (error.name === 'BucketAlreadyOwnedByYou' || error.name === 'BucketAlreadyExists')) return;
    throw error;
  } finally {
    client.destroy();
  }
}
