import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Floe's own folder (the checkout, or the package in node_modules), found by walking up from this
 * module to floe's package.json, so it holds both for cli/ run through tsx and for dist/cli/.
 */
export function floePackageRoot(): { directory: string; version: string } {
  for (let directory = path.dirname(fileURLToPath(import.meta.url)); ; directory = path.dirname(directory)) {
    const file = path.join(directory, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'floe' && manifest.version !== undefined) return { directory, version: manifest.version };
    }
    if (path.dirname(directory) === directory) throw new Error(`No package.json of floe above ${fileURLToPath(import.meta.url)}`);
  }
}

/** Floe's version from its package.json. */
export function floeVersion(): string {
  try {
    return floePackageRoot().version;
  } catch {
    return 'unknown';
  }
}
