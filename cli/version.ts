import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Floe's version from its package.json, found by walking up from this module, so it holds both for
 * cli/ run through tsx and for a build compiled into another folder.
 */
export function floeVersion(): string {
  for (let directory = path.dirname(fileURLToPath(import.meta.url)); ; directory = path.dirname(directory)) {
    const file = path.join(directory, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'floe' && manifest.version !== undefined) return manifest.version;
    }
    if (path.dirname(directory) === directory) return 'unknown';
  }
}
