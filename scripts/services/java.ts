import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The `java` of JAVA_HOME when it is set, else the one on PATH: every Java service starts with it. */
export function javaBinary(): string {
  const javaHome = process.env.JAVA_HOME;
  return javaHome ? join(javaHome, 'bin', 'java') : 'java';
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
