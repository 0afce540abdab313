/**
 * A Java service's classpath, resolved once by Maven from its POM into FLOE_CACHE_DIR: one
 * classpath file per version of the POM (editing the POM resolves again), written under a
 * temporary name and renamed, and resolved again when ~/.m2 lost a jar it names.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { withInstallLock } from './install-lock.js';
import { cacheDir, logsDir } from './paths.js';
import { runInstallStep } from './progress.js';

export interface MavenClasspath {
  /** The classpath file when it is resolved and every jar it names exists. */
  installed(): string | undefined;
  /** The classpath, resolving it first when needed. */
  install(): Promise<string>;
}

export function mavenClasspath(options: {
  /** Names the cache file, the install lock and the build log (`build-<name>.log`). */
  readonly name: string;
  readonly pom: string;
  /** What is resolved and why, for the progress line. */
  readonly what: string;
  readonly why: string;
}): MavenClasspath {
  const file = (): string => {
    const hash = createHash('sha256').update(readFileSync(options.pom)).digest('hex').slice(0, 12);
    return join(cacheDir(), `${options.name}-${hash}.classpath`);
  };
  const resolve = async (target: string): Promise<string> => {
    const partial = `${target}.partial`;
    const repoLocal = process.env.FLOE_MAVEN_REPO_LOCAL;
    mkdirSync(cacheDir(), { recursive: true });
    await runInstallStep({
      what: options.what,
      why: options.why,
      command: 'mvn',
      args: [
        '-B',
        '-q',
        '-f',
        options.pom,
        ...(repoLocal ? [`-Dmaven.repo.local=${repoLocal}`] : []),
        'dependency:build-classpath',
        `-Dmdep.outputFile=${partial}`,
      ],
      log: join(logsDir, `build-${options.name}.log`),
    });
    renameSync(partial, target);
    const classpath = readClasspath(target);
    if (classpath === undefined) throw new Error(`${options.what}: Maven wrote ${target} but it names jars that do not exist`);
    return classpath;
  };
  return {
    installed: () => (readClasspath(file()) === undefined ? undefined : file()),
    install: async () => {
      const target = file();
      return readClasspath(target) ?? withInstallLock(options.name, async () => readClasspath(target) ?? resolve(target));
    },
  };
}

function readClasspath(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const classpath = readFileSync(file, 'utf8').trim();
  // A wiped ~/.m2 leaves a classpath naming jars that are gone: resolve again then.
  const complete = classpath !== '' && classpath.split(':').every((jar) => existsSync(jar));
  return complete ? classpath : undefined;
}
