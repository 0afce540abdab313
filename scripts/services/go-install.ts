/**
 * Builds a Go binary with `go install module@version` into a versioned folder of the cache. The Go
 * module and build caches live in the Floe cache too while this run builds, so a cold
 * FLOE_CACHE_DIR really is cold, and `-modcacherw` keeps them deletable.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
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
  if (existsSync(target)) {
    toBuild.delete(binary.folder);
    return target;
  }
  // One lock for every Go build: they share <cache>/go, which is removed when the last one is done.
  return withInstallLock('go-builds', async () => {
    try {
      if (!existsSync(target)) await build(binary, target);
      return target;
    } finally {
      doneWith(binary);
    }
  });
}

/** The binaries this process has fetched modules for and not built yet: Go's caches stay until they are built. */
const toBuild = new Set<string>();

/**
 * Downloads the modules a binary's build needs (`go install -n` loads every package it imports and
 * runs nothing), so that its own build, queued behind another Go build, finds them there: the
 * downloads wait on the network while the other build keeps both cores busy. A failure here is
 * left to the build, which reports it.
 */
export function prefetchGoModules(binary: GoBinary): void {
  if (existsSync(cachedGoBinaryPath(binary)) || toBuild.has(binary.folder)) return;
  toBuild.add(binary.folder);
  mkdirSync(logsDir, { recursive: true });
  const log = openSync(join(logsDir, `build-${binary.folder}-modules.log`), 'w');
  try {
    spawn('go', ['install', '-n', binary.installTarget], { env: goEnv(), stdio: ['ignore', log, log] }).once('error', () => undefined);
  } finally {
    closeSync(log);
  }
}

/**
 * The binaries are all we keep: Go's module and build caches hold ~3 GB and would only help rebuild
 * these same versions. They stay while another build of this run may use them (shared modules,
 * the standard library compiled once).
 */
function doneWith(binary: GoBinary): void {
  toBuild.delete(binary.folder);
  if (toBuild.size === 0) rmSync(goCaches(), { recursive: true, force: true });
}

function goEnv(gobin?: string): NodeJS.ProcessEnv {
  const goRoot = goCaches();
  return {
    ...process.env,
    ...(gobin === undefined ? {} : { GOBIN: gobin }),
    GOMODCACHE: join(goRoot, 'mod'),
    GOCACHE: join(goRoot, 'build-cache'),
    GOFLAGS: [process.env.GOFLAGS, '-modcacherw'].filter(Boolean).join(' '),
    GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local',
  };
}

function goCaches(): string {
  return join(cacheDir(), 'go');
}

async function build(binary: GoBinary, target: string): Promise<void> {
  // Built into a staging folder and moved into place, so an interrupted build never leaves a
  // half-written binary where the next run would take it for a finished one.
  const gobin = join(cacheDir(), 'bin', `${binary.folder}.partial`);
  rmSync(gobin, { recursive: true, force: true });
  mkdirSync(gobin, { recursive: true });
  await runInstallStep({
    what: binary.what,
    why: binary.why,
    command: 'go',
    // Without the symbol table and DWARF: a test service's binary needs neither, and linking is quicker.
    args: ['install', '-trimpath', '-ldflags=-s -w', binary.installTarget],
    env: goEnv(gobin),
    log: join(logsDir, `build-${binary.folder}.log`),
  });
  const built = join(gobin, binary.binaryName);
  if (!existsSync(built)) throw new Error(`${binary.what}: go install succeeded but ${built} is missing`);
  mkdirSync(dirname(target), { recursive: true });
  renameSync(built, target);
  rmSync(gobin, { recursive: true, force: true });
}
