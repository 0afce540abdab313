/**
 * Builds a Go binary with `go install module@version` into a versioned folder of the cache. The Go
 * module and build caches live in the Floe cache too, so one folder holds everything a run built
 * (a cold FLOE_CACHE_DIR really is cold) and `-modcacherw` keeps that folder deletable.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, logsDir } from './paths.js';
import { runInstallStep } from './progress.js';

export interface GoBinary {
  /** Display name, e.g. "Temporal CLI v1.5.1". */
  what: string;
  why: string;
  /** `module/path/cmd@version` as `go install` takes it. */
  installTarget: string;
  /** Folder name under <cache>/bin, one per version so a version bump rebuilds. */
  folder: string;
  binaryName: string;
}

export function cachedGoBinaryPath(binary: GoBinary): string {
  return join(cacheDir(), 'bin', binary.folder, binary.binaryName);
}

export async function ensureGoBinary(binary: GoBinary): Promise<string> {
  const target = cachedGoBinaryPath(binary);
  if (existsSync(target)) return target;
  const gobin = join(cacheDir(), 'bin', binary.folder);
  mkdirSync(gobin, { recursive: true });
  const goRoot = join(cacheDir(), 'go');
  await runInstallStep({
    what: binary.what,
    why: binary.why,
    command: 'go',
    args: ['install', binary.installTarget],
    env: {
      ...process.env,
      GOBIN: gobin,
      GOMODCACHE: join(goRoot, 'mod'),
      GOCACHE: join(goRoot, 'build-cache'),
      GOFLAGS: [process.env.GOFLAGS, '-modcacherw'].filter(Boolean).join(' '),
      GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local',
    },
    log: join(logsDir, `build-${binary.folder}.log`),
  });
  if (!existsSync(target)) throw new Error(`${binary.what}: go install succeeded but ${target} is missing`);
  return target;
}
