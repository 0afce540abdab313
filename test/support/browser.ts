/**
 * Debian's Chromium through playwright-core, headless, with a fresh profile and everything that
 * would reach the network switched off (the machine has none but the package registries).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { stateDir } from '../../scripts/services/paths.js';
import { chromiumExecutable } from './services.js';
import { scratchFolder } from './scratch-folder.js';

export const SCREENSHOTS_DIRECTORY = path.join(stateDir, 'test-results', 'e2e');

export interface Browser {
  readonly page: Page;
  /** Saves a full-page PNG under .floe/test-results/e2e, to look at what the test saw. */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browser> {
  const context = await chromium.launchPersistentContext(scratchFolder('chromium'), {
    executablePath: chromiumExecutable(),
    headless: true,
    viewport: { width: 1400, height: 1100 },
    timezoneId: 'UTC',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  return {
    page,
    async screenshot(name) {
      await mkdir(SCREENSHOTS_DIRECTORY, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS_DIRECTORY, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
    },
  };
}
