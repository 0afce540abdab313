#!/usr/bin/env node
// The `floe` command. Floe is written in TypeScript and runs it through tsx, without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
