/**
 * The Java Iceberg oracle (test/oracles/java): a small Maven project that Maven resolves and
 * packages once into FLOE_CACHE_DIR/java-oracle-<hash of its sources>, so editing the tool
 * rebuilds it and nothing is written into the repository. A self-check round trip then proves the
 * classpath works and records the classes it loaded into a JVM class-data archive (AppCDS), which
 * roughly halves each later JVM start. Tests get the classpath and archive through FLOE_TEST_JAVA_*.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { cacheDir, logsDir, repoRoot } from './paths.js';
import { runInstallStep } from './progress.js';
import type { RunningService } from './service.js';
import { javaBinary } from './java.js';

export const JAVA_ORACLE_PROJECT = join(repoRoot, 'test', 'oracles', 'java');
export const JAVA_ORACLE_MAIN_CLASS = 'floe.oracle.JavaOracle';
const JAR_NAME = 'floe-java-oracle-0.0.0.jar';

/** JVM flags for a short-lived oracle run: JIT tier 1 and the class-data archive start fastest. */
export function javaOracleJvmOptions(archive: string | undefined): string[] {
  return [
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    // JVM warnings (e.g. a stale class-data archive) go to stderr: stdout carries replies only.
    '-Xlog:disable',
    '-Xlog:all=error:stderr',
    ...(archive !== undefined && existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : []),
  ];
}

function sourceFiles(): string[] {
  const sources = join(JAVA_ORACLE_PROJECT, 'src');
  const files = existsSync(sources) ? readdirSync(sources, { recursive: true, encoding: 'utf8' }).map((name) => join(sources, name)) : [];
  return [join(JAVA_ORACLE_PROJECT, 'pom.xml'), ...files.filter((file) => file.endsWith('.java'))].sort();
}

/** One build per content of pom.xml and the Java sources. */
function buildDir(): string {
  const hash = createHash('sha256');
  for (const file of sourceFiles()) hash.update(relative(JAVA_ORACLE_PROJECT, file)).update('\0').update(readFileSync(file)).update('\0');
  return join(cacheDir(), `java-oracle-${hash.digest('hex').slice(0, 12)}`);
}

export interface JavaOracleBuild {
  classpath: string;
  /** The class-data archive written by the self-check run. */
  archive: string;
}

const paths = (dir: string) => ({
  build: join(dir, 'build'),
  jar: join(dir, 'build', JAR_NAME),
  dependencies: join(dir, 'dependencies.classpath'),
  classpath: join(dir, 'classpath'),
  archive: join(dir, 'oracle.jsa'),
  argfile: join(dir, 'classpath.argfile'),
});

/** The finished build, or undefined: the classpath file is written last, and every jar it names must exist. */
function readBuild(dir: string): JavaOracleBuild | undefined {
  const { classpath: file, archive } = paths(dir);
  if (!existsSync(file) || !existsSync(archive)) return undefined;
  const classpath = readFileSync(file, 'utf8').trim();
  // A wiped ~/.m2 leaves a classpath naming jars that are gone: build again then.
  const complete = classpath !== '' && classpath.split(delimiter).every((jar) => existsSync(jar));
  return complete ? { classpath, archive } : undefined;
}

export function javaOracleInstalled(): string | undefined {
  const dir = buildDir();
  return readBuild(dir) === undefined ? undefined : dir;
}

export async function installJavaOracle(): Promise<JavaOracleBuild> {
  const dir = buildDir();
  const ready = readBuild(dir);
  if (ready !== undefined) return ready;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = paths(dir);
  const repoLocal = process.env.FLOE_MAVEN_REPO_LOCAL;
  await runInstallStep({
    what: 'Java Iceberg oracle',
    why: 'tests compare Floe with Java Iceberg 1.10 (Maven downloads its jars once into ~/.m2 and compiles test/oracles/java)',
    command: 'mvn',
    args: [
      '-B',
      '-q',
      '-f',
      join(JAVA_ORACLE_PROJECT, 'pom.xml'),
      ...(repoLocal ? [`-Dmaven.repo.local=${repoLocal}`] : []),
      `-Dfloe.oracle.build=${files.build}`,
      'package',
      'dependency:build-classpath',
      `-Dmdep.outputFile=${files.dependencies}`,
    ],
    log: join(logsDir, 'build-java-oracle.log'),
  });
  if (!existsSync(files.jar)) throw new Error(`Java Iceberg oracle: Maven finished but ${files.jar} is missing`);
  const classpath = [files.jar, readFileSync(files.dependencies, 'utf8').trim()].join(delimiter);
  // The classpath names ~120 jars: an argument file keeps the printed command readable.
  writeFileSync(files.argfile, `-cp "${classpath.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"\n`);
  const scratch = mkdtempSync(join(tmpdir(), 'floe-java-oracle-check-'));
  try {
    await runInstallStep({
      what: 'Java Iceberg oracle check',
      why: 'a merge-on-read round trip must pass before any test relies on the oracle (its classes also seed the JVM class-data archive)',
      command: javaBinary(),
      args: [
        ...javaOracleJvmOptions(undefined),
        `-XX:ArchiveClassesAtExit=${files.archive}`,
        `@${files.argfile}`,
        JAVA_ORACLE_MAIN_CLASS,
        '--self-check',
        scratch,
      ],
      log: join(logsDir, 'build-java-oracle-check.log'),
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (!existsSync(files.archive))
    throw new Error(
      `Java Iceberg oracle: the self-check passed but wrote no class-data archive at ${files.archive} (see ${join(logsDir, 'build-java-oracle-check.log')})`,
    );
  writeFileSync(files.classpath, `${classpath}\n`);
  const build = readBuild(dir);
  if (build === undefined) throw new Error(`Java Iceberg oracle: ${files.classpath} names jars that do not exist`);
  return build;
}

export async function startJavaOracle(): Promise<RunningService> {
  const build = await installJavaOracle();
  return {
    name: 'java-oracle',
    processes: [],
    env: { FLOE_TEST_JAVA: javaBinary(), FLOE_TEST_JAVA_ORACLE_CLASSPATH: build.classpath, FLOE_TEST_JAVA_ORACLE_ARCHIVE: build.archive },
    summary: [`Java oracle    ${JAVA_ORACLE_MAIN_CLASS} (Iceberg 1.10.1), class-data archive ${build.archive}`],
  };
}
