#!/usr/bin/env node
// The `floe` command. In a checkout it runs the TypeScript sources through tsx (no build step, never
// a stale build); the published package ships no sources, only the compiled CLI in dist/.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../cli/main.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
} else {
  await import('../dist/cli/main.js');
}
