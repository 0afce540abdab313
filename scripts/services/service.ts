/** What a started service hands back: its processes (to stop), its env for tests, lines to print. */
import type { ManagedProcess } from './process.js';

export const SERVICE_NAMES = [
  'temporal',
  'minio',
  'rest-catalog',
  'nessie',
  'python',
  'java-oracle',
  'chromium',
  'postgres',
  'redis',
  'nginx',
  'kafka',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Services a benchmark or test starts for itself, never part of the stack `npm test` and
 * `npm run services -- start` run (the stack only installs them ahead of time).
 */
export type PerRunServiceName = 'kafka-connect';

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/** What a service needs running beside it: the REST catalogs keep their tables in MinIO, Nessie its version store in Postgres. */
export const SERVICE_DEPENDENCIES: Readonly<Partial<Record<ServiceName, readonly ServiceName[]>>> = {
  'rest-catalog': ['minio'],
  nessie: ['minio', 'postgres'],
};

/** The names asked for plus everything they need, in SERVICE_NAMES order (none asked, none returned). */
export function withDependencies(names: readonly ServiceName[]): ServiceName[] {
  const wanted = new Set<ServiceName>();
  const add = (name: ServiceName): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const needed of SERVICE_DEPENDENCIES[name] ?? []) add(needed);
  };
  for (const name of names) add(name);
  return SERVICE_NAMES.filter((name) => wanted.has(name));
}

export interface RunningService {
  name: ServiceName | PerRunServiceName;
  processes: ManagedProcess[];
  /** FLOE_TEST_* variables describing the service to tests. */
  env: Record<string, string>;
  /** Human-readable addresses, printed by `npm run services -- start`. */
  summary: string[];
}
