/**
 * Debian's Chromium, driven by playwright-core in the browser tests (test/e2e). Installed with
 * apt (as root, after `apt-get update`) when /usr/bin/chromium is missing; nothing else is fetched,
 * and the browser itself is launched by each test, so there is no process to run here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { logsDir } from './paths.js';
import { runInstallStep } from './progress.js';
import type { RunningService } from './service.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumInstalled(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : undefined;
}

export async function installChromium(): Promise<string> {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.getuid?.() !== 0) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} and installing it needs root: run \`apt-get update && apt-get install -y chromium\` as root (the browser tests need it)`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runInstallStep({ what: 'apt package lists', why: 'the browser tests need Debian’s chromium package', command: 'apt-get', args: ['update'], env, log: join(logsDir, 'build-chromium-apt-update.log') });
  await runInstallStep({ what: 'Chromium', why: 'the browser tests drive the Temporal Web UI with it', command: 'apt-get', args: ['install', '-y', '--no-install-recommends', 'chromium'], env, log: join(logsDir, 'build-chromium.log') });
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`apt-get installed chromium but ${CHROMIUM_PATH} is missing`);
  return CHROMIUM_PATH;
}

export async function startChromium(): Promise<RunningService> {
  const executable = await installChromium();
  return { name: 'chromium', processes: [], env: { FLOE_TEST_CHROMIUM: executable }, summary: [`Chromium       ${executable} (launched by the browser tests)`] };
}
