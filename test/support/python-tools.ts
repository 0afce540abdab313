/**
 * Python oracle tools (test/oracles/pyiceberg_tool.py and the tools built on it) kept running in
 * `--serve` mode: one JSON request a line in, one reply a line out. Starting Python and importing
 * pyarrow and pyiceberg costs ~1.5 s of CPU a process, and the suite sends hundreds of requests; a
 * test process keeps a few idle servers and starts another only when all are busy, so requests
 * sent at the same time still run side by side. Idle servers do not keep the test process alive.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { setKeepsProcessAlive } from './child-process.js';
import { spawnLineServer } from './line-server.js';
import { pythonOracle } from './services.js';

/** What the tool answered: its reply, or the Python traceback of the request that failed. */
export type ToolAnswer = { reply: unknown } | { error: string };

interface Server {
  readonly child: ChildProcessWithoutNullStreams;
  /** The request in flight: called with each reply line, or with the reason the server stopped. */
  waiting?: ((line: string | Error) => void) | undefined;
}

/** Each server holds ~100 MB; more requests than this at once get servers that end afterwards. */
const MAX_IDLE_SERVERS = 3;
const idleServers = new Map<string, Server[]>();

/** Sends one request (a JSON object on one line) to a server of `tool` and waits for its answer. */
export async function askPythonTool(tool: string, request: string): Promise<ToolAnswer> {
  const server = idleServers.get(tool)?.pop() ?? startServer(tool);
  setKeepsProcessAlive(server.child, true);
  const line = await new Promise<string | Error>((resolve) => {
    server.waiting = resolve;
    server.child.stdin.write(`${request}\n`);
  });
  server.waiting = undefined;
  if (line instanceof Error) throw line;
  const idle = idleServers.get(tool) ?? [];
  if (idle.length < MAX_IDLE_SERVERS) {
    setKeepsProcessAlive(server.child, false);
    idleServers.set(tool, [...idle, server]);
  } else {
    server.child.stdin.end();
  }
  try {
    return JSON.parse(line) as ToolAnswer;
  } catch (error) {
    throw new Error(`${tool} --serve answered with a line that is not JSON:\n${line.slice(0, 2_000)}`, { cause: error });
  }
}

function startServer(tool: string): Server {
  const server: Server = {
    child: spawnLineServer(pythonOracle().python, [tool, '--serve'], {
      line: (line) => server.waiting?.(line),
      stopped: (reason, stderrTail) => {
        const idle = idleServers.get(tool);
        if (idle?.includes(server))
          idleServers.set(
            tool,
            idle.filter((other) => other !== server),
          );
        server.waiting?.(new Error(`${tool} --serve ${reason} before answering.\nstderr:\n${stderrTail}`));
      },
    }),
  };
  return server;
}
