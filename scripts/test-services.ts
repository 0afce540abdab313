/**
 * Which services a test file needs. Every integration and e2e test file says so on its first line,
 * which `npm test` reads without importing the file:
 *
 *   // services: temporal, rest-catalog
 *   // services: none
 *
 * `npm test` installs and starts the union of what its selected files declare, plus what those
 * services need (the REST catalog keeps its tables in MinIO). scripts/test-service-uses.ts finds
 * the services a file uses, so a unit test can refuse a file that uses one it does not declare.
 */
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
