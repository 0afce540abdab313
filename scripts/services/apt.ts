/**
 * Debian packages the services need (chromium, postgresql), installed with apt as root. dpkg takes
 * one install at a time, so every apt install — from this process's parallel install lanes or from
 * another worktree's run — goes through one lock, and apt itself waits for a lock held elsewhere.
 */
import { join } from 'node:path';
import { withInstallLock } from './install-lock.js';
import { logsDir } from './paths.js';
import { runInstallStep } from './progress.js';

export interface AptPackage {
  /** The Debian package. */
  readonly name: string;
  /** Why the tests need it, printed while it installs. */
  readonly why: string;
  /** Where the installed thing is, or undefined while it is missing. */
  readonly installed: () => string | undefined;
}

export async function aptInstall(pkg: AptPackage): Promise<string> {
  const found = pkg.installed();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${pkg.name} is not installed and installing it needs root: run \`apt-get update && apt-get install -y ${pkg.name}\` as root (${pkg.why})`,
    );
  }
  return withInstallLock('apt', async () => {
    const again = pkg.installed();
    if (again !== undefined) return again;
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const waitForDpkg = ['-o', 'DPkg::Lock::Timeout=600'];
    await runInstallStep({
      what: 'apt package lists',
      why: pkg.why,
      command: 'apt-get',
      args: [...waitForDpkg, 'update'],
      env,
      log: join(logsDir, `build-${pkg.name}-apt-update.log`),
    });
    await runInstallStep({
      what: pkg.name,
      why: pkg.why,
      command: 'apt-get',
      args: [...waitForDpkg, 'install', '-y', '--no-install-recommends', pkg.name],
      env,
      log: join(logsDir, `build-${pkg.name}.log`),
    });
    const installed = pkg.installed();
    if (installed === undefined) throw new Error(`apt-get installed ${pkg.name} but it is still not where the tests look for it`);
    return installed;
  });
}
