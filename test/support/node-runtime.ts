/**
 * Node binaries and environments for tests that run the checkout as a newcomer's shell would: the
 * end-of-life Node this project's own machines ship (20), installed from the npm registry into
 * FLOE_CACHE_DIR by scripts/supported-node.sh's installer, and an environment free of the test
 * runner's loader and of .ci/run's Node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { repoRoot } from '../../scripts/services/paths.js';

export const END_OF_LIFE_NODE_VERSION = '20.20.2';

/** The path of a Node 20 `node`, installed once into the cache. */
export function endOfLifeNode(): string {
  const result = spawnSync(
    'bash',
    [
      '-c',
      `. scripts/supported-node.sh >/dev/null 2>&1; FLOE_NODE_VERSION=${END_OF_LIFE_NODE_VERSION} floe_install_node && command -v node`,
    ],
    { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const node = result.stdout.trim();
  if (result.status !== 0 || !node.includes(`node-v${END_OF_LIFE_NODE_VERSION}-`))
    throw new Error(`could not install Node ${END_OF_LIFE_NODE_VERSION} from the npm registry: ${result.stderr}`);
  return node;
}

/** The test runs under tsx (NODE_OPTIONS may carry its loader from the checkout): a user's processes must not. */
export function withoutNodeOptions(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...environment };
  delete copy.NODE_OPTIONS;
  return copy;
}

/**
 * The system's CA bundle. The registry's Node 20 stands for a distribution's Node 20, which trusts
 * the system store, but it trusts only its bundled CAs and has no NODE_USE_SYSTEM_CA: behind a
 * TLS-inspecting registry proxy its `npm ci` took 3m24s instead of 30 s.
 */
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * A newcomer's environment whose `node` (and so `npm`'s) is `node`: no loader, no .ci/run header
 * folder, and the system's CAs trusted as a distribution's Node trusts them.
 */
export function environmentOn(node: string, environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = withoutNodeOptions(environment);
  delete copy.npm_config_nodedir;
  if (copy.NODE_EXTRA_CA_CERTS === undefined && existsSync(SYSTEM_CA_BUNDLE)) copy.NODE_EXTRA_CA_CERTS = SYSTEM_CA_BUNDLE;
  return { ...copy, PATH: `${dirname(node)}${delimiter}${environment.PATH ?? ''}` };
}
