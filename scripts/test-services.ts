/**
 * Which services a test file needs. Every integration and e2e test file says so on its first line,
 * which `npm test` reads without importing the file:
 *
 *   // services: temporal, rest-catalog
 *   // services: none
 *
 * `npm test` installs and starts the union of what its selected files declare, plus what those
 * services need (the REST catalog keeps its tables in MinIO). A static scan of what a file calls
 * (the test/support/services.ts accessors) and imports (a service's own module in scripts/services,
 * to start one of its own) finds the services it uses, so a unit test can refuse a file that uses
 * one it does not declare.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from './services/paths.js';
import { isServiceName, SERVICE_NAMES, withDependencies, type ServiceName } from './services/service.js';

/** The folders whose test files talk to services, and so must declare which. */
export const SERVICE_TEST_FOLDERS = ['test/integration/', 'test/e2e/'] as const;

export function needsDeclaration(file: string): boolean {
  return SERVICE_TEST_FOLDERS.some((folder) => file.startsWith(folder));
}

const DECLARATION = /^\/\/ services:(.*)$/;
const EXAMPLE = '`// services: temporal, rest-catalog` (or `// services: none`)';

/** The services a file's first line declares; throws, naming the file, when the line is missing or wrong. */
export function declaredServices(file: string, source: string): ServiceName[] {
  const firstLine = source.slice(0, source.indexOf('\n') === -1 ? undefined : source.indexOf('\n')).trimEnd();
  const match = DECLARATION.exec(firstLine);
  if (!match)
    throw new Error(
      `${file}: the first line must declare the services the file needs, e.g. ${EXAMPLE}; found ${JSON.stringify(firstLine)}`,
    );
  const names = (match[1] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 1 && names[0] === 'none') return [];
  if (names.length === 0) throw new Error(`${file}: "// services:" names no service; write ${EXAMPLE}`);
  const unknown = names.filter((name) => !isServiceName(name));
  if (unknown.length > 0)
    throw new Error(
      `${file}: unknown service ${unknown.map((name) => `"${name}"`).join(', ')} in "// services:"; expected none or some of ${SERVICE_NAMES.join(', ')}`,
    );
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length > 0) throw new Error(`${file}: "// services:" names ${repeated.join(', ')} twice`);
  return names as ServiceName[];
}

/**
 * Each file's declared services: its first line for an integration or e2e file, none for a unit or
 * replay file. Every missing or wrong declaration is reported at once.
 */
export function servicesByFile(files: readonly string[], readSource: (file: string) => string): Map<string, ServiceName[]> {
  const byFile = new Map<string, ServiceName[]>();
  const problems: string[] = [];
  for (const file of files) {
    if (!needsDeclaration(file)) {
      byFile.set(file, []);
      continue;
    }
    try {
      byFile.set(file, declaredServices(file, readSource(file)));
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return byFile;
}

/** What a run of the files needs started: the union of their declarations and what those services need. */
export function servicesToStart(byFile: ReadonlyMap<string, readonly ServiceName[]>): ServiceName[] {
  return withDependencies([...byFile.values()].flat());
}

/** Where the stack is: which services are up, whether all are (or it failed), and for how long none has come up. */
export interface StackProgress {
  up: ReadonlySet<string>;
  settled: boolean;
  quietMs: number;
}

/**
 * The files to run next, from those pending: all of them once the stack has settled (up, or failed:
 * then they fail saying what is missing); before that, the files whose services (with what those
 * need) are all up, but only once no service has come up for `settleMs`, so that services coming up
 * together make one wave. Empty: wait.
 */
export function nextWave(
  pending: readonly string[],
  declared: ReadonlyMap<string, readonly ServiceName[]>,
  stack: StackProgress,
  settleMs: number,
): string[] {
  if (stack.settled) return [...pending];
  if (stack.quietMs < settleMs) return [];
  return pending.filter((file) => withDependencies(declared.get(file) ?? []).every((name) => stack.up.has(name)));
}

/** The test/support/services.ts accessors, by the service each reads. */
export const ACCESSOR_SERVICES: Readonly<Record<string, ServiceName>> = {
  temporalService: 'temporal',
  s3Service: 'minio',
  restCatalogService: 'rest-catalog',
  pythonOracle: 'python',
  oldFeastPython: 'python',
  javaOracleService: 'java-oracle',
  postgresService: 'postgres',
  nginxExecutable: 'nginx',
  chromiumExecutable: 'chromium',
  redisUrl: 'redis',
  kafkaBrokers: 'kafka',
};

/** scripts/services modules that start (or are) a service, for the tests that start one of their own. */
const SERVICE_MODULES: Readonly<Record<string, ServiceName>> = {
  ...Object.fromEntries(SERVICE_NAMES.map((name) => [`scripts/services/${name}.ts`, name])),
  // Installed with the broker; a test starts it beside the stack's broker.
  'scripts/services/kafka-connect.ts': 'kafka',
};

/** The folders whose modules the scan follows: the tests' own helpers and the benchmarks they reuse. */
const SCANNED_FOLDERS = ['test/', 'bench/'];
const ACCESSORS_FILE = 'test/support/services.ts';

export interface ServiceUse {
  service: ServiceName;
  /** Where the use was found: `<module> calls temporalService()` or `<module> imports scripts/services/minio.ts`. */
  where: string;
}

/**
 * The services a file uses, found statically: accessor calls and service-module imports in the
 * file and in every test/ or bench/ module it imports, directly or not. A module that imports a
 * helper counts as using whatever that helper's module uses (a file may then need to declare a
 * service for a helper it does not call; that costs only a start-up).
 */
export function usedServices(file: string, root: string = repoRoot): ServiceUse[] {
  const uses = new Map<ServiceName, string>();
  const seen = new Set<string>();
  const queue = [file];
  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    if (seen.has(module)) continue;
    seen.add(module);
    const source = readFileSync(join(root, module), 'utf8');
    if (module !== ACCESSORS_FILE) {
      for (const match of source.matchAll(/\b([A-Za-z]\w*)\s*\(/g)) {
        const service = ACCESSOR_SERVICES[match[1] ?? ''];
        if (service && !uses.has(service)) uses.set(service, `${module} calls ${match[1]}()`);
      }
    }
    for (const imported of relativeImports(module, source, root)) {
      const service = SERVICE_MODULES[imported];
      if (service && !uses.has(service)) uses.set(service, `${module} imports ${imported}`);
      if (SCANNED_FOLDERS.some((folder) => imported.startsWith(folder))) queue.push(imported);
    }
  }
  return SERVICE_NAMES.filter((name) => uses.has(name)).map((service) => ({ service, where: uses.get(service) ?? '' }));
}

/** The repository files a module imports at run time (type-only imports run nothing), as repo-relative .ts paths. */
function relativeImports(module: string, source: string, root: string): string[] {
  const specifiers = [
    // import … from '…', export … from '…' (not `import type`)
    ...[...source.matchAll(/\b(?:import|export)\s+(type\s+)?[^;'"]*?\bfrom\s*'([^']+)'/g)]
      .filter((match) => !match[1])
      .map((match) => match[2]),
    // import('…') and import '…'
    ...[...source.matchAll(/\bimport\s*\(\s*'([^']+)'\s*\)|^import\s*'([^']+)'/gm)].map((match) => match[1] ?? match[2]),
  ];
  const found: string[] = [];
  for (const specifier of specifiers) {
    if (specifier === undefined || !specifier.startsWith('.')) continue;
    const absolute = resolve(root, dirname(module), specifier);
    const existing = [absolute.replace(/\.js$/, '.ts'), absolute].find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
    if (existing) found.push(relative(root, existing));
  }
  return found;
}
