import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import type { ScopedImport } from 'tsx/esm/api';
import { FloeError } from '../core/errors.js';
import { Redactor } from '../core/redaction.js';
import type { ProjectConfig } from './config.js';
import { readProjectConfig } from './config.js';
import type { Definition } from './registry.js';
import { Registry } from './registry.js';

export interface Project {
  readonly directory: string;
  readonly config: ProjectConfig;
  readonly registry: Registry;
  /** The process's redaction step, told every secret floe.yaml holds; the runtime hands it on to its catalog. */
  readonly redactor: Redactor;
}

export const PROJECT_FILE = 'floe.yaml';

export interface LoadProjectOptions {
  /** Import the definitions afresh, not from the module cache: `floe dev` reloading edited definitions. */
  readonly fresh?: boolean;
  /** With `fresh`: called with the path of every file the definitions module loads, itself included. */
  readonly onImport?: (file: string) => void;
  /** The process's redactor (its entry point's), which floe.yaml's secrets are registered on; a fresh one without. */
  readonly redactor?: Redactor;
}

/** Reads floe.yaml and the definitions module it names (TypeScript, loaded through tsx). */
export async function loadProject(
  directory: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadProjectOptions = {},
): Promise<Project> {
  const root = path.resolve(directory);
  const redactor = options.redactor ?? new Redactor();
  const config = await readProjectConfig(path.join(root, PROJECT_FILE), env, redactor);
  const definitions = await importDefinitions(config.definitions, options);
  try {
    return {
      directory: root,
      config,
      redactor,
      registry: new Registry(definitions, { onlineNamespace: config.online.namespace, tableFormatVersion: config.iceberg.formatVersion }),
    };
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

async function importDefinitions(file: string, options: LoadProjectOptions): Promise<Definition[]> {
  let module: Record<string, unknown>;
  try {
    const url = pathToFileURL(file).href;
    module = (await (options.fresh ? importAfresh(url, options.onImport) : importTypeScript(url, import.meta.url))) as Record<
      string,
      unknown
    >;
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
      `${file} exports no definitions; export the results of defineEntity, defineIcebergSource, defineFeatureView, defineFeatureService, defineRequestSource and defineOnDemandView`,
      { context: { file } },
    );
  }
  return [...new Set(found)];
}

let typeScriptImport: ScopedImport | undefined;

/**
 * Run from this TypeScript file (a checkout: bin/floe.js, or `node --import tsx`), the process already
 * loads TypeScript through tsx, for every import.
 */
const runningFromSources = new URL(import.meta.url).pathname.endsWith('.ts');

/**
 * Definitions are TypeScript, and the installed package is plain JavaScript: Floe loads them through
 * tsx itself, so a project needs no tsx of its own. One scoped tsx loader serves the whole process:
 * the one deliberate piece of process-wide state. A loader is a hook into Node's module resolution,
 * which is the process's whatever object holds it, and modules it loaded stay loaded; registering
 * one per project or runtime would stack hooks without separating anything (a fresh import has its
 * own namespace, importAfresh). From sources a plain import does: a namespace's modules have URLs of
 * their own, so the definitions' `import … from 'floe'` would load a second copy of everything Floe's
 * public API reaches (hundreds of modules) beside the copy this process runs.
 */
function importTypeScript(specifier: string, parentUrl: string): Promise<unknown> {
  if (runningFromSources) return import(specifier);
  typeScriptImport ??= register({ namespace: 'floe-definitions' }).import;
  return typeScriptImport(specifier, parentUrl);
}

/**
 * Modules are cached by URL, so a second import of an edited file returns the old module. A tsx
 * namespace of its own gives this import (and every module it reaches) new URLs; the loader is
 * removed once the module graph is loaded. Each reload keeps its copy of the modules in memory,
 * which a dev session can afford.
 */
async function importAfresh(url: string, onImport?: (file: string) => void): Promise<unknown> {
  const scoped = register({
    namespace: `floe-definitions-${randomUUID()}`,
    ...(onImport ? { onImport: (loaded: string) => loaded.startsWith('file:') && onImport(fileURLToPath(loaded)) } : {}),
  });
  try {
    return await scoped.import(url, import.meta.url);
  } finally {
    await scoped.unregister();
  }
}

function isDefinition(value: unknown): value is Definition {
  if (!value || typeof value !== 'object' || !('kind' in value)) return false;
  const kind = (value as { kind: unknown }).kind;
  return (
    kind === 'entity' ||
    kind === 'source' ||
    kind === 'featureView' ||
    kind === 'featureService' ||
    kind === 'requestSource' ||
    kind === 'onDemandView' ||
    kind === 'pushSource' ||
    kind === 'streamSource'
  );
}
