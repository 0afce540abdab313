import { join } from 'node:path';

/** The `java` of JAVA_HOME when it is set, else the one on PATH: every Java service starts with it. */
export function javaBinary(): string {
  const javaHome = process.env.JAVA_HOME;
  return javaHome ? join(javaHome, 'bin', 'java') : 'java';
}
