/**
 * Postgres for the SQL catalog's tests: Debian's `postgresql` package (installed with apt as root
 * when no server binaries are found under /usr/lib/postgresql), a fresh cluster per run in the
 * run's temp dir, on 127.0.0.1 and a free port, with password (scram) auth for TCP so the catalog's
 * URI really carries a password. initdb and postgres refuse to run as root, so as root they run as
 * the `postgres` user the package creates. Nothing but the Debian package is fetched.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { aptInstall } from './apt.js';
import { logFile, logsDir } from './paths.js';
import { freePorts } from './ports.js';
import { startProcess, waitUntilHealthy } from './process.js';
import { runInstallStep } from './progress.js';
import type { RunningService } from './service.js';

const POSTGRES_ROOT = '/usr/lib/postgresql';
/** The system user the Debian package creates; the server runs as it when we are root. */
const SERVER_USER = 'postgres';
export const TEST_DATABASE = 'floe_test';

export interface PostgresCredentials {
  user: string;
  password: string;
}

/** Test-only credentials: FLOE_TEST_POSTGRES_USER / FLOE_TEST_POSTGRES_PASSWORD, else fixed defaults. */
export function testPostgresCredentials(): PostgresCredentials {
  return { user: process.env.FLOE_TEST_POSTGRES_USER || 'floe', password: process.env.FLOE_TEST_POSTGRES_PASSWORD || 'floe-test-secret' };
}

/** The newest installed server's bin folder (it holds initdb and postgres), if any. */
export function postgresInstalled(): string | undefined {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter(
      (version) =>
        /^\d+$/.test(version) &&
        existsSync(join(POSTGRES_ROOT, version, 'bin', 'postgres')) &&
        existsSync(join(POSTGRES_ROOT, version, 'bin', 'initdb')),
    )
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(POSTGRES_ROOT, versions[0], 'bin');
}

export function installPostgres(): Promise<string> {
  return aptInstall({ name: 'postgresql', why: 'the SQL catalog tests run against a real Postgres server', installed: postgresInstalled });
}

/**
 * As root: the command run as the server user (initdb and postgres refuse root), through util-linux's
 * runuser, which lives in /usr/sbin: a user's PATH often lacks it (Debian's default for users does).
 */
function asServerUser(command: string, args: readonly string[]): { command: string; args: string[] } {
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser'].find((path) => existsSync(path)) ?? 'runuser';
  return process.getuid?.() === 0 ? { command: runuser, args: ['-u', SERVER_USER, '--', command, ...args] } : { command, args: [...args] };
}

export async function startPostgres(runDir: string): Promise<RunningService> {
  const bin = await installPostgres();
  const [port] = (await freePorts(1)) as [number];
  const credentials = testPostgresCredentials();
  const root = join(runDir, 'postgres');
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'socket');
  mkdirSync(socketDir, { recursive: true });
  if (process.getuid?.() === 0) {
    // The run dir is root's and 0700: let the server user pass through it (not list it) to its own folder.
    chmodSync(runDir, 0o711);
    const { uid, gid } = serverUserIds();
    chownSync(root, uid, gid);
    chownSync(socketDir, uid, gid);
  }
  const passwordFile = join(root, 'initdb-password');
  writeFileSync(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    const { uid, gid } = serverUserIds();
    chownSync(passwordFile, uid, gid);
  }
  try {
    const initdb = asServerUser(join(bin, 'initdb'), [
      '--pgdata',
      dataDir,
      '--username',
      credentials.user,
      '--pwfile',
      passwordFile,
      '--auth-local',
      'trust',
      '--auth-host',
      'scram-sha-256',
      '--encoding',
      'UTF8',
      '--locale',
      'C',
      '--no-sync',
    ]);
    await runInstallStep({
      what: 'Postgres cluster',
      why: 'a fresh database cluster for this run',
      command: initdb.command,
      args: initdb.args,
      log: join(logsDir, 'postgres-initdb.log'),
    });
  } finally {
    rmSync(passwordFile, { force: true });
  }
  const server = asServerUser(join(bin, 'postgres'), [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-h',
    '127.0.0.1',
    '-k',
    socketDir,
    // Eight writer processes, each with a small pool, plus the tests' own connections.
    '-c',
    'max_connections=200',
    // A throwaway cluster: durability across a machine crash is not what the tests are about, so no
    // fsync. Commits stay synchronous: the fault suites SIGKILL this server, and with asynchronous
    // commit a kill drops a transaction already acknowledged to the catalog (a window's commit vanished).
    '-c',
    'fsync=off',
    '-c',
    'full_page_writes=off',
  ]);
  const managed = startProcess({
    name: 'postgres',
    command: server.command,
    args: server.args,
    env: process.env,
    log: logFile('postgres'),
  });
  const adminUrl = (database: string): string =>
    `postgresql://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${database}`;
  try {
    await waitUntilHealthy(managed, `a connection to 127.0.0.1:${port}`, () => runSql(adminUrl('postgres'), 'SELECT 1'), 60_000);
    await waitUntilHealthy(managed, `CREATE DATABASE ${TEST_DATABASE}`, () => createDatabase(adminUrl('postgres'), TEST_DATABASE), 30_000);
  } catch (error) {
    await managed.stop();
    throw error;
  }
  return {
    name: 'postgres',
    processes: [managed],
    env: { FLOE_TEST_POSTGRES_URL: adminUrl(TEST_DATABASE) },
    summary: [`Postgres       postgresql://${credentials.user}:***@127.0.0.1:${port}/${TEST_DATABASE} (${bin})`],
  };
}

function serverUserIds(): { uid: number; gid: number } {
  try {
    const id = (flag: string): number =>
      Number(execFileSync('id', [flag, SERVER_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch (error) {
    throw new Error(`the ${SERVER_USER} user (created by Debian's postgresql package) does not exist`, { cause: error });
  }
}

/** Idempotent, so a retried health step does not trip over its own earlier success. */
async function createDatabase(url: string, name: string): Promise<void> {
  try {
    await runSql(url, `CREATE DATABASE ${name}`);
  } catch (error) {
    if ((error as { code?: unknown }).code !== '42P04') throw error; // duplicate_database
  }
}

async function runSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}
