/**
 * Prometheus for the metrics tests: Debian's `prometheus` package, installed with apt as root when
 * missing, started by a test on 127.0.0.1 and a free port with a scrape config naming that test's
 * targets (a feature server's /metrics, a worker's endpoint). Nothing but the Debian package is fetched.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall } from './apt.js';
import { logFile } from './paths.js';
import { freePort } from './ports.js';
import { httpGetOk, startProcess, waitUntilHealthy } from './process.js';

const SERVER = '/usr/bin/prometheus';

export function prometheusInstalled(): string | undefined {
  return existsSync(SERVER) ? SERVER : undefined;
}

export function installPrometheus(): Promise<string> {
  return aptInstall({
    name: 'prometheus',
    why: "the metrics tests scrape the feature server's and the worker's endpoints with a real Prometheus",
    installed: prometheusInstalled,
  });
}

export interface ScrapeTarget {
  readonly job: string;
  /** host:port */
  readonly address: string;
}

export interface RunningPrometheus {
  /** e.g. http://127.0.0.1:9090 */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `targets` every `scrapeIntervalSeconds`, its data in a temporary folder removed on stop. */
export async function startPrometheus(
  targets: readonly ScrapeTarget[],
  options: { scrapeIntervalSeconds?: number } = {},
): Promise<RunningPrometheus> {
  const server = await installPrometheus();
  const dir = mkdtempSync(join(tmpdir(), 'floe-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    'scrape_configs:',
    ...targets.flatMap((target) => [
      `  - job_name: ${JSON.stringify(target.job)}`,
      '    static_configs:',
      `      - targets: [${JSON.stringify(target.address)}]`,
    ]),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const managed = startProcess({
    name: 'prometheus',
    command: server,
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    env: process.env,
    log: logFile('prometheus'),
  });
  const stop = async (): Promise<void> => {
    await managed.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(managed, `GET ${url}/-/ready`, async () => void (await httpGetOk(`${url}/-/ready`)), 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
