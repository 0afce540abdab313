/**
 * `npm ci` (what CI runs) refuses a lock file that lacks an entry for any optional dependency, even
 * one for another platform. This machine's registry serves only Linux builds of packages such as
 * @duckdb/node-bindings-* and @swc/core-*, so a lock regenerated here silently drops the macOS and
 * Windows entries and CI breaks on a fresh clone. This test names the missing entries instead.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../../scripts/services/paths.js';

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** Where Node would find `name` when required from the package installed at `from`. */
function resolveFrom(packages: Record<string, LockPackage>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

test('package-lock.json has an entry for every dependency, optional ones for other platforms included', () => {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      if (resolveFrom(lock.packages, path, name) === undefined) missing.push(`${name} (needed by ${path || 'the root package'})`);
    }
  }
  assert.deepEqual(
    missing,
    [],
    `npm ci will fail: package-lock.json lacks\n  ${missing.join('\n  ')}\nAdd entries with version, os, cpu and "optional": true for them (see git log of package-lock.json).`,
  );
});
