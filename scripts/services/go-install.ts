/**
 * Builds a Go binary with `go install module@version` into a versioned folder of the cache. The Go
 * module and build caches live in the Floe cache too while it builds, so a cold FLOE_CACHE_DIR
 * really is cold, and `-modcacherw` keeps them deletable.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir, logsDir } from './paths.js';
import { runInstallStep } from './progress.js';
import { withInstallLock } from './install-lock.js';

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
  // One lock for every Go build: they share <cache>/go, which each removes when done.
  return withInstallLock('go-builds', async () => (existsSync(target) ? target : build(binary, target)));
}

async function build(binary: GoBinary, target: string): Promise<string> {
  // Built into a staging folder and moved into place, so an interrupted build never leaves a
  // half-written binary where the next run would take it for a finished one.
  const gobin = join(cacheDir(), 'bin', `${binary.folder}.partial`);
  rmSync(gobin, { recursive: true, force: true });
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
  const built = join(gobin, binary.binaryName);
  if (!existsSync(built)) throw new Error(`${binary.what}: go install succeeded but ${built} is missing`);
  mkdirSync(dirname(target), { recursive: true });
  renameSync(built, target);
  rmSync(gobin, { recursive: true, force: true });
  // The binary is all we keep: Go's module and build caches hold ~3 GB per build and would only
  // help rebuild this same version.
  rmSync(goRoot, { recursive: true, force: true });
  return target;
}
