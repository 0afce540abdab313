/**
 * Temporal CLI dev server (SQLite, Web UI) with the search attributes Floe's workflows use.
 * Binary resolution: TEMPORAL_CLI_PATH, `temporal` on PATH, the cached build, else build it.
 */
import { Connection } from '@temporalio/client';
import { join } from 'node:path';
import { cachedGoBinaryPath, ensureGoBinary, type GoBinary } from './go-install.js';
import { findOnPath } from './which.js';
import { logFile } from './paths.js';
import { freePorts } from './ports.js';
import { httpGetOk, startProcess, waitUntilHealthy } from './process.js';
import type { RunningService } from './service.js';
import { existsSync } from 'node:fs';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Registered at start so workflows can upsert them and the UI can filter by them. */
export const FLOE_SEARCH_ATTRIBUTES: Readonly<Record<string, string>> = {
  FloeFeatureView: 'Keyword',
  FloeProgress: 'Text',
};

// v1.5.1 is the newest tag whose go.mod has no replace directive (go install refuses those).
const temporalCli: GoBinary = {
  what: `Temporal CLI ${TEMPORAL_CLI_VERSION}`,
  why: 'workflow tests need a real Temporal dev server (first build takes ~8 min on 2 cores, then it is cached)',
  installTarget: `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`,
  folder: `temporal-${TEMPORAL_CLI_VERSION}`,
  binaryName: 'temporal',
};

function preinstalledTemporal(): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new Error(`TEMPORAL_CLI_PATH points at ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  return findOnPath('temporal');
}

export function temporalInstalled(): string | undefined {
  const found = preinstalledTemporal();
  if (found !== undefined) return found;
  const cached = cachedGoBinaryPath(temporalCli);
  return existsSync(cached) ? cached : undefined;
}

export async function installTemporal(): Promise<string> {
  return preinstalledTemporal() ?? (await ensureGoBinary(temporalCli));
}

/** Fixed ports and files for a dev server a user comes back to (`floe dev`); by default free ports and `<runDir>/temporal.db`. */
export interface TemporalOptions {
  readonly ip?: string;
  readonly port?: number;
  readonly uiPort?: number;
  readonly dbFilename?: string;
  readonly log?: string;
}

export async function startTemporal(runDir: string, options: TemporalOptions = {}): Promise<RunningService> {
  const binary = await installTemporal();
  const [freeGrpcPort, freeUiPort, httpPort, metricsPort] = (await freePorts(4)) as [number, number, number, number];
  const ip = options.ip ?? '127.0.0.1';
  const port = options.port ?? freeGrpcPort;
  const uiPort = options.uiPort ?? freeUiPort;
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--ui-port',
    String(uiPort),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--db-filename',
    options.dbFilename ?? join(runDir, 'temporal.db'),
    '--log-level',
    'warn',
    ...Object.entries(FLOE_SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const managed = startProcess({ name: 'temporal', command: binary, args, env: process.env, log: options.log ?? logFile('temporal') });
  const address = `${ip}:${port}`;
  const uiUrl = `http://${ip}:${uiPort}`;
  try {
    await waitUntilHealthy(managed, `gRPC GetSystemInfo on ${address}`, () => grpcHealthy(address), 120_000);
    await waitUntilHealthy(managed, `the Web UI at ${uiUrl}`, async () => void (await httpGetOk(uiUrl)), 60_000);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return {
    name: 'temporal',
    processes: [managed],
    env: {
      FLOE_TEST_TEMPORAL_ADDRESS: address,
      FLOE_TEST_TEMPORAL_UI_URL: uiUrl,
      FLOE_TEST_TEMPORAL_CLI: binary,
    },
    summary: [`Temporal gRPC  ${address} (namespace "default")`, `Temporal UI    ${uiUrl}`],
  };
}

async function grpcHealthy(address: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.workflowService.getSystemInfo({});
  } finally {
    await connection.close();
  }
}
