import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import type { ScopedImport } from 'tsx/esm/api';
import { FloeError } from '../iceberg/errors.js';
import type { ProjectConfig } from './config.js';
import { readProjectConfig } from './config.js';
import type { Definition } from './registry.js';
import { Registry } from './registry.js';

export interface Project {
  readonly directory: string;
  readonly config: ProjectConfig;
  readonly registry: Registry;
}

export const PROJECT_FILE = 'floe.yaml';

/** Reads floe.yaml and the definitions module it names (TypeScript, loaded through tsx). */
export async function loadProject(directory: string, env: NodeJS.ProcessEnv = process.env): Promise<Project> {
  const root = path.resolve(directory);
  const config = await readProjectConfig(path.join(root, PROJECT_FILE), env);
  const definitions = await importDefinitions(config.definitions);
  try {
    return { directory: root, config, registry: new Registry(definitions, { onlineNamespace: config.online.namespace }) };
  } catch (error) {
    // Cross-references are checked once every definition is known: name the file they came from.
    if (FloeError.is(error))
      throw new FloeError(error.kind, `${config.definitions}: ${error.detail}`, {
        context: { ...error.context, file: config.definitions },
        cause: error,
      });
    throw error;
  }
}

async function importDefinitions(file: string): Promise<Definition[]> {
  let module: Record<string, unknown>;
  try {
    module = (await importTypeScript(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new FloeError('invalid-input', `Cannot load the definitions module ${file}: ${(error as Error).message}`, {
      context: { file },
      cause: error,
    });
  }
  const found = Object.values(module)
    .flatMap((value) => (Array.isArray(value) ? value : [value]))
    .filter(isDefinition);
  if (found.length === 0) {
    throw new FloeError(
      'invalid-input',
      `${file} exports no definitions; export the results of defineEntity, defineIcebergSource, defineFeatureView and defineFeatureService`,
      { context: { file } },
    );
  }
  return [...new Set(found)];
}

let typeScriptImport: ScopedImport | undefined;

/**
 * Definitions are TypeScript, and the installed package is plain JavaScript: Floe loads them through
 * tsx itself, so a project needs no tsx of its own. One scoped tsx loader serves the whole process.
 */
function importTypeScript(specifier: string, parentUrl: string): Promise<unknown> {
  typeScriptImport ??= register({ namespace: 'floe-definitions' }).import;
  return typeScriptImport(specifier, parentUrl);
}

function isDefinition(value: unknown): value is Definition {
  if (!value || typeof value !== 'object' || !('kind' in value)) return false;
  const kind = (value as { kind: unknown }).kind;
  return kind === 'entity' || kind === 'source' || kind === 'featureView' || kind === 'featureService' || kind === 'pushSource';
}
