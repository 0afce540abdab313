/**
 * `.floe/services.env`: the FLOE_TEST_* variables of running services, so one test file can be run
 * by hand after `npm run services -- start`. Lines are `KEY='value'`, which a shell can `source`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function formatEnvFile(env: Readonly<Record<string, string>>): string {
  const lines = Object.entries(env).map(([key, value]) => `${key}='${value.replaceAll("'", "'\\''")}'`);
  return `# Written by \`npm run services -- start\` / \`npm test\`; describes the running test services.\n${lines.join('\n')}\n`;
}

export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim().replace(/^export\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const key = line.slice(0, equals);
    let value = line.slice(equals + 1);
    if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) value = value.slice(1, -1).replaceAll("'\\''", "'");
    else if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    env[key] = value;
  }
  return env;
}

export function writeEnvFile(file: string, env: Readonly<Record<string, string>>): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, formatEnvFile(env));
}

export function readEnvFile(file: string): Record<string, string> | undefined {
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : undefined;
}
