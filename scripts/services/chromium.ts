/**
 * Debian's Chromium, driven by playwright-core in the browser tests (test/e2e). Installed with
 * apt (as root, after `apt-get update`) when /usr/bin/chromium is missing; nothing else is fetched,
 * and the browser itself is launched by each test, so there is no process to run here.
 */
import { existsSync } from 'node:fs';
import { aptInstall } from './apt.js';
import type { RunningService } from './service.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumInstalled(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : undefined;
}

export function installChromium(): Promise<string> {
  return aptInstall({ name: 'chromium', why: 'the browser tests drive the Temporal Web UI with it', installed: chromiumInstalled });
}

export async function startChromium(): Promise<RunningService> {
  const executable = await installChromium();
  return {
    name: 'chromium',
    processes: [],
    env: { FLOE_TEST_CHROMIUM: executable },
    summary: [`Chromium       ${executable} (launched by the browser tests)`],
  };
}
