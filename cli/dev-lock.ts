/**
 * One `floe dev` per project: `.floe/dev.lock` names the process that runs it and where (Temporal,
 * Web UI, feature server), so a second one says where the first runs instead of sharing
 * `.floe/temporal.db` with it. A lock whose process is gone (a crash, a kill -9) is taken over.
 */
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FloeError } from '../core/errors.js';

export interface DevLockHolder {
  readonly pid: number;
  readonly temporalAddress: string;
  readonly temporalUi: string;
  /** The feature server's URL; null when it is off; undefined while dev is still starting. */
  readonly featureServer?: string | null;
}

export interface DevLock {
  /** Records where dev runs, once it knows (the addresses it was given at start are planned ones). */
  update(holder: Omit<DevLockHolder, 'pid'>): Promise<void>;
  release(): Promise<void>;
}

export const DEV_LOCK_FILE = 'dev.lock';

/** Takes the project's dev lock in `stateDirectory` (`.floe/`), or refuses naming the running dev. */
export async function acquireDevLock(stateDirectory: string, planned: Omit<DevLockHolder, 'pid'>): Promise<DevLock> {
  const file = path.join(stateDirectory, DEV_LOCK_FILE);
  const holder = (where: Omit<DevLockHolder, 'pid'>): string => `${JSON.stringify({ pid: process.pid, ...where }, null, 2)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(holder(planned));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
    }
    const running = await readHolder(file);
    if (running !== undefined && running.pid !== process.pid && isAlive(running.pid)) throw alreadyRunning(running, file);
    // Stale (its process is gone) or unreadable (a crash mid-write): take it over.
    await rm(file, { force: true });
  }
  return {
    async update(where) {
      await writeFile(file, holder(where));
    },
    async release() {
      const current = await readHolder(file);
      if (current?.pid === process.pid) await rm(file, { force: true });
    },
  };
}

/** The `floe dev` running for the project whose state directory (`.floe/`) this is, if one runs. */
export async function runningDev(stateDirectory: string): Promise<DevLockHolder | undefined> {
  const holder = await readHolder(path.join(stateDirectory, DEV_LOCK_FILE));
  return holder !== undefined && isAlive(holder.pid) ? holder : undefined;
}

async function readHolder(file: string): Promise<DevLockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<DevLockHolder>;
    return Number.isSafeInteger(parsed.pid) && (parsed.pid ?? 0) > 0 ? (parsed as DevLockHolder) : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function alreadyRunning(running: DevLockHolder, file: string): FloeError {
  const server =
    running.featureServer === undefined ? '' : `, feature server ${running.featureServer === null ? '(off)' : running.featureServer}`;
  return new FloeError(
    'invalid-input',
    `floe dev already runs for this project (pid ${running.pid}): Temporal ${running.temporalAddress}, Web UI ${running.temporalUi}${server}. Use that one, or stop it (Ctrl-C in its terminal) first; ${path.basename(path.dirname(file))}/${DEV_LOCK_FILE} names it`,
  );
}
