/**
 * A lock file per install step in the cache, so two processes sharing FLOE_CACHE_DIR (two worktrees'
 * `npm test`, or `services install` beside a test run) never build the same thing at once: the
 * second waits, then finds the result ready. A lock whose holder has died is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cacheDir } from './paths.js';
import { say } from './progress.js';

function holderOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withInstallLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const file = join(cacheDir(), 'locks', `${name}.lock`);
  mkdirSync(join(cacheDir(), 'locks'), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = holderOf(file);
    if (holder !== undefined && !alive(holder)) {
      rmSync(file, { force: true });
      continue;
    }
    if (!announced) {
      say(`${name}: another process${holder === undefined ? '' : ` (pid ${holder})`} is installing it; waiting (lock ${file})`);
      announced = true;
    }
    await sleep(1_000);
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}
