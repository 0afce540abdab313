/**
 * Python scripts run as forks of one interpreter per venv that has imported Feast once
 * (test/support/python_fork_server.py). `import feast` costs ~4 s of CPU (typeguard recompiles its
 * classes at import), and the Feast test files run dozens of short Feast processes: forked, each is
 * still its own process, running its script as `python SCRIPT ARGS...` would (as __main__, its own
 * argv, cwd, environment, stdin, stdout, stderr and exit code), but starts where the import ended.
 * A script's own `feast` commands (those test_workflow.py runs by subprocess) are forks too when
 * forkedFeastFolder is first on its PATH. Idle servers do not keep the test process alive; a file ends them in its `after`
 * hook with stopPythonServers (then their CPU counts in the file's, scripts/test-file-cpu.ts).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setKeepsProcessAlive } from './child-process.js';
import { spawnLineServer } from './line-server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(HERE, 'python_fork_server.py');
const COMMAND = path.join(HERE, 'python_fork_command.py');
/** What every fork starts with: Feast and what it imports (pandas, pyarrow), and its CLI. */
const PRELOADED = ['feast', 'feast.cli.cli'];

export interface PythonRun {
  readonly code: number | null;
  readonly stdout: string;
  /** Empty when the run's stderr went to its stdout (`mergeOutput`). */
  readonly stderr: string;
}

export interface PythonJob {
  readonly pid: number;
  readonly done: Promise<PythonRun>;
}

export interface PythonJobOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The script's standard input (none: /dev/null). */
  readonly stdin?: string;
  /** stderr into stdout, interleaved as written (as one terminal shows them). */
  readonly mergeOutput?: boolean;
}

interface Server {
  readonly child: ChildProcessWithoutNullStreams;
  readonly folder: string;
  /** Where python_fork_command.py sends the jobs of other processes' commands. */
  readonly socket: string;
  readonly jobs: Map<number, { started: (pid: number) => void; ended: (code: number) => void; failed: (error: Error) => void }>;
  /** Ending (stopPythonServers): it keeps the test process alive until it has exited. */
  stopping: boolean;
}

const servers = new Map<string, Server>();
let nextId = 0;

/** Starts `python script args…` as a fork of `python`'s server; `done` when it exits. */
export async function startPython(
  python: string,
  script: string,
  args: readonly string[],
  options: PythonJobOptions = {},
): Promise<PythonJob> {
  const server = servers.get(python) ?? startServer(python);
  const id = nextId++;
  const files = { stdin: path.join(server.folder, `${id}.in`), stdout: path.join(server.folder, `${id}.out`), stderr: '' };
  files.stderr = options.mergeOutput === true ? files.stdout : path.join(server.folder, `${id}.err`);
  if (options.stdin !== undefined) writeFileSync(files.stdin, options.stdin);
  let started!: (pid: number) => void;
  let ended!: (code: number) => void;
  let failed!: (error: Error) => void;
  const pid = new Promise<number>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  const code = new Promise<number>((resolve, reject) => {
    ended = resolve;
    const fail = failed;
    failed = (error) => {
      fail(error);
      reject(error);
    };
  });
  code.catch(() => {}); // Reported through `done`.
  server.jobs.set(id, { started, ended, failed });
  setKeepsProcessAlive(server.child, true);
  server.child.stdin.write(
    `${JSON.stringify({
      id,
      argv: [script, ...args],
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      stdin: options.stdin === undefined ? null : files.stdin,
      stdout: files.stdout,
      stderr: files.stderr,
    })}\n`,
  );
  const done = code.then((status) => {
    const read = (file: string): string => readFileSync(file, 'utf8');
    const run: PythonRun = {
      code: status < 0 ? null : status,
      stdout: read(files.stdout),
      stderr: options.mergeOutput === true ? '' : read(files.stderr),
    };
    for (const file of new Set(Object.values(files))) rmSync(file, { force: true });
    return run;
  });
  return { pid: await pid, done };
}

/** Runs `python script args…` as a fork of `python`'s server, to its end. */
export async function runPython(
  python: string,
  script: string,
  args: readonly string[],
  options: PythonJobOptions = {},
): Promise<PythonRun> {
  return (await startPython(python, script, args, options)).done;
}

/**
 * A folder holding a `feast` that runs `python`'s venv's feast as a fork of its server, in the
 * caller's folder with its environment, stdin, stdout and stderr, and exits with its code: first on
 * a script's PATH, the script's own `feast` commands start where the import ended.
 */
export function forkedFeastFolder(python: string): string {
  const server = servers.get(python) ?? startServer(python);
  const folder = path.join(server.folder, 'bin');
  const feast = path.join(folder, 'feast');
  mkdirSync(folder, { recursive: true });
  const quoted = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
  const real = path.join(path.dirname(python), 'feast');
  writeFileSync(feast, `#!/bin/sh\nexec ${[python, '-S', COMMAND, server.socket, real].map(quoted).join(' ')} "$@"\n`, { mode: 0o755 });
  return folder;
}

/** Ends every server (the jobs still running get SIGTERM) and waits for them to exit. */
export async function stopPythonServers(): Promise<void> {
  await Promise.all(
    [...servers.values()].map(async (server) => {
      const closed = new Promise((resolve) => server.child.once('close', resolve));
      server.stopping = true;
      setKeepsProcessAlive(server.child, true);
      server.child.stdin.end();
      await closed;
    }),
  );
}

function startServer(python: string): Server {
  const folder = mkdtempSync(path.join(tmpdir(), 'floe-python-fork-'));
  // Also when the test process ends without stopPythonServers (then the server ends after it).
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const socket = path.join(folder, 'commands.sock');
  const server: Server = {
    child: spawnLineServer(python, [SERVER, socket, ...PRELOADED], {
      line: (line) => {
        const message = JSON.parse(line) as { id: number; pid?: number; code?: number };
        const job = server.jobs.get(message.id);
        if (message.pid !== undefined) job?.started(message.pid);
        if (message.code !== undefined) {
          server.jobs.delete(message.id);
          job?.ended(message.code);
          if (server.jobs.size === 0 && !server.stopping) setKeepsProcessAlive(server.child, false);
        }
      },
      stopped: (reason, stderrTail) => {
        servers.delete(python);
        rmSync(server.folder, { recursive: true, force: true });
        for (const job of server.jobs.values()) job.failed(new Error(`${SERVER} (${python}) ${reason}.\nstderr:\n${stderrTail}`));
      },
    }),
    folder,
    socket,
    jobs: new Map(),
    stopping: false,
  };
  servers.set(python, server);
  setKeepsProcessAlive(server.child, false);
  return server;
}
