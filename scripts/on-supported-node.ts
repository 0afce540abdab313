/**
 * Runs one of this checkout's TypeScript entry points (`npm run demo`, `test`, `bench`, `worker`,
 * `services`) on a Node Floe supports: in this process when its Node is one, else on the LTS that
 * scripts/supported-node.sh brings from the npm registry into FLOE_CACHE_DIR, as .ci/run does. So
 * the README's `npm ci && npm run demo` works on a machine whose own Node is older.
 *
 *   node --import tsx scripts/on-supported-node.ts scripts/demo.ts [args…]
 */
import { spawn, spawnSync } from 'node:child_process';
import { delimiter, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isSupportedNode, unsupportedNodeMessage } from '../bin/supported-node.js';
import { repoRoot } from './services/paths.js';

/** The path of a supported `node`, installed into the cache by scripts/supported-node.sh if need be. */
function supportedNode(): string {
  const result = spawnSync('bash', ['-c', '. scripts/supported-node.sh && command -v node'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const node = result.stdout.trim();
  if (result.status !== 0 || node === '') {
    const fix = 'Bringing Node 24 from the npm registry failed (above); install Node 24 LTS (nvm install 24) and run it again.';
    process.stderr.write(`${unsupportedNodeMessage(`npm run ${process.env.npm_lifecycle_event ?? ''}`.trim(), fix)}\n`);
    process.exit(2);
  }
  return node;
}

/** Runs the entry point on `node` as a child, relaying a termination request and its exit. */
function runOn(node: string, entry: string, args: readonly string[]): void {
  const child = spawn(node, ['--import', 'tsx', entry, ...args], {
    stdio: 'inherit',
    env: {
      ...process.env,
      PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`,
      npm_config_nodedir: dirname(dirname(node)),
      // The registry's Node trusts the system CA store too, as scripts/supported-node.sh says why.
      NODE_USE_SYSTEM_CA: process.env.NODE_USE_SYSTEM_CA ?? '1',
    },
  });
  // Ctrl-C reaches the child from the terminal itself; this process waits for it to finish.
  const relay = (signal: NodeJS.Signals): void => {
    if (signal !== 'SIGINT') child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, relay);
  child.once('error', (error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(name, relay);
    process.kill(process.pid, signal);
  });
}

const [entryArgument, ...args] = process.argv.slice(2);
if (entryArgument === undefined) throw new Error('usage: node --import tsx scripts/on-supported-node.ts <entry.ts> [args…]');
const entry = resolve(repoRoot, entryArgument);
if (isSupportedNode()) {
  process.argv.splice(1, process.argv.length - 1, entry, ...args);
  await import(pathToFileURL(entry).href);
} else {
  process.stderr.write(`Node ${process.versions.node} is older than Floe supports; running ${entryArgument} on a supported Node.\n`);
  runOn(supportedNode(), entry, args);
}
