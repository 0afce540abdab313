#!/usr/bin/env node
// The `floe` command. In a checkout it runs the TypeScript sources through tsx (no build step, never
// a stale build); the published package ships no sources, only the compiled CLI in dist/.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { isSupportedNode, unsupportedNodeMessage } from './supported-node.js';

const checkout = existsSync(new URL('../cli/main.ts', import.meta.url));
if (!isSupportedNode()) {
  const fix = checkout
    ? 'In this checkout, `. scripts/supported-node.sh` puts Node 24 LTS from the npm registry first on PATH; or install Node 24 (nvm install 24).'
    : undefined;
  process.stderr.write(`${unsupportedNodeMessage('floe', fix)}\n`);
  process.exit(2);
}
// V8's code cache on disk (as tsc, eslint and prettier do): a short command compiles the hundreds of
// modules it loads once, not on every run.
module.enableCompileCache?.();
if (checkout) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
} else {
  await import('../dist/cli/main.js');
}
