import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The `java` of JAVA_HOME when it is set, else the one on PATH: every Java service starts with it. */
export function javaBinary(): string {
  const javaHome = process.env.JAVA_HOME;
  return javaHome ? join(javaHome, 'bin', 'java') : 'java';
}

/** Where JDKs are installed on Debian (the machine's OpenJDK and any other, e.g. a Temurin JDK, beside it). */
const JVM_ROOT = '/usr/lib/jvm';

/**
 * The `java` of a JDK of at least `major` (for a service built for a newer Java than the default):
 * JAVA_HOME's when it is new enough, else the newest under /usr/lib/jvm; undefined when none is.
 */
export function javaBinaryAtLeast(major: number): string | undefined {
  const homes = [process.env.JAVA_HOME, ...(existsSync(JVM_ROOT) ? readdirSync(JVM_ROOT).map((name) => join(JVM_ROOT, name)) : [])];
  const found = homes
    .filter((home): home is string => home !== undefined && home !== '' && existsSync(join(home, 'bin', 'java')))
    .map((home) => ({ home, version: javaMajorVersion(home) }))
    .filter((candidate) => candidate.version !== undefined && candidate.version >= major);
  // JAVA_HOME first when it qualifies, else the newest.
  const chosen = found.find((candidate) => candidate.home === process.env.JAVA_HOME) ?? found.sort((a, b) => b.version! - a.version!)[0];
  return chosen === undefined ? undefined : join(chosen.home, 'bin', 'java');
}

/** The major version in a JDK's `release` file (`JAVA_VERSION="25.0.3"` → 25, `"1.8.0_402"` → 8). */
function javaMajorVersion(home: string): number | undefined {
  const release = join(home, 'release');
  if (!existsSync(release)) return undefined;
  const version = /^JAVA_VERSION="([^"]+)"/m.exec(readFileSync(release, 'utf8'))?.[1];
  if (version === undefined) return undefined;
  const [first, second] = version.split('.').map(Number);
  return first === 1 ? second : first;
}

/** JVM flags of a service JVM on a 2-core machine: a small heap, G1 with short pauses, the JIT left on, log4j2 configured. */
export function serviceJvmOptions(options: { maxHeap: string; log4jConfig: string }): string[] {
  return [
    '-Xms256m',
    `-Xmx${options.maxHeap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${options.log4jConfig}`,
  ];
}

/** Writes `-cp <classpath>` to a Java argument file and returns its `@file` argument: a classpath of ~50–160 jars keeps commands in messages readable. */
export function classpathArgfile(file: string, classpath: string): string {
  writeFileSync(file, `-cp "${classpath.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"\n`);
  return `@${file}`;
}
