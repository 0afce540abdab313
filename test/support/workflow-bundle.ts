/**
 * The workflow bundle the test workers run, built once per test process and kept on disk between
 * processes: webpack-bundling workflows/ costs a few seconds of CPU, and a suite run starts a
 * worker in dozens of test files. The cached bundle is keyed by the contents of every product
 * source file (any module a workflow may import) and the versions of Node and the Temporal SDK, so
 * any edit builds afresh. The replay suite builds its own and does not use this.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { repoRoot, stateDir } from '../../scripts/services/paths.js';
import { WORKFLOWS_PATH } from '../../workers/worker.js';

const CACHE_DIRECTORY = join(stateDir, 'cache', 'workflow-bundles');
/** Top-level folders that hold no product code: tests, tooling, docs, examples, the build output (and dot-folders). */
const NOT_PRODUCT = new Set(['node_modules', 'dist', 'test', 'scripts', 'bench', 'bin', 'docs', 'examples', 'tmp']);
const SOURCE_FILE = /\.(ts|js|mjs|cjs|json)$/;
const SDK_PACKAGES = ['@temporalio/workflow', '@temporalio/worker', '@temporalio/common'];

let bundle: Promise<{ code: string }> | undefined;

export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= cachedWorkflowBundle();
  return bundle;
}

async function cachedWorkflowBundle(): Promise<{ code: string }> {
  const file = join(CACHE_DIRECTORY, `${await sourcesKey()}.js`);
  try {
    return { code: await readFile(file, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const built = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  await mkdir(CACHE_DIRECTORY, { recursive: true });
  // Written aside and renamed: a test file starting at the same time reads a whole bundle or none.
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, built.code);
  await rename(partial, file);
  for (const other of await readdir(CACHE_DIRECTORY)) {
    if (join(CACHE_DIRECTORY, other) !== file && !other.endsWith('.partial')) await rm(join(CACHE_DIRECTORY, other), { force: true });
  }
  return built;
}

async function sourcesKey(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`node ${process.version}\n`);
  for (const name of SDK_PACKAGES) hash.update(`${name} ${await readFile(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')}\n`);
  for (const file of await productSourceFiles()) hash.update(`${relative(repoRoot, file)}\n`).update(await readFile(file));
  return hash.digest('hex').slice(0, 32);
}

async function productSourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(repoRoot, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || NOT_PRODUCT.has(entry.name)) continue;
    const path = join(repoRoot, entry.name);
    if (entry.isFile()) {
      if (SOURCE_FILE.test(entry.name)) files.push(path);
    } else if (entry.isDirectory()) {
      for (const inner of await readdir(path, { recursive: true, withFileTypes: true })) {
        if (inner.isFile() && SOURCE_FILE.test(inner.name)) files.push(join(inner.parentPath, inner.name));
      }
    }
  }
  return files.sort();
}

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
