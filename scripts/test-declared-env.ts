/**
 * Preloaded by `npm test` into each test file's process. An integration or e2e file keeps only the
 * FLOE_TEST_* variables of the services its first line declares (and of what those need), and the
 * test/support/services.ts accessors learn that list: a file that uses a service it does not declare
 * fails on every machine and says so, instead of passing wherever its service happens to be up.
 *
 * FLOE_TEST_SERVICE_KEYS (set by scripts/test.ts) maps each running service to its variables.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './services/paths.js';
import { withDependencies } from './services/service.js';
import { declaredServices, needsDeclaration } from './test-services.js';

const serviceKeys = process.env.FLOE_TEST_SERVICE_KEYS;
const file = process.argv[1] === undefined ? undefined : relative(repoRoot, process.argv[1]);
if (serviceKeys !== undefined && file !== undefined && needsDeclaration(file)) {
  const declared = withDependencies(declaredServices(file, readFileSync(join(repoRoot, file), 'utf8')));
  for (const [service, keys] of Object.entries(JSON.parse(serviceKeys) as Record<string, string[]>)) {
    if (!(declared as string[]).includes(service)) for (const key of keys) delete process.env[key];
  }
  process.env.FLOE_TEST_DECLARED_SERVICES = declared.length === 0 ? 'none' : declared.join(',');
}
