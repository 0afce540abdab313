import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The path of a .proto file (or folder) kept beside the module at `moduleUrl`: beside it when run
 * from source, beside its source when run from dist/ (the package ships the .proto files at their
 * source paths; tsc does not copy them).
 */
export function protoPath(relative: string, moduleUrl: string): string {
  const beside = fileURLToPath(new URL(relative, moduleUrl));
  return existsSync(beside) ? beside : beside.replace(/[\\/]dist([\\/]server[\\/])/, '$1');
}
