/**
 * The workflow bundle of a worker run from Floe's sources (a checkout, not the package, which ships
 * dist/workflows.bundle.js): webpack-bundling workflows/ costs seconds of CPU, and the test suite
 * and `floe dev` start workers dozens of times. The bundle is kept in the checkout's
 * `.floe/cache/workflow-bundles/`, keyed by the contents of every product source file (any module a
 * workflow may import) and the versions of Node and the Temporal SDK, so any edit builds afresh.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const CHECKOUT = fileURLToPath(new URL('..', import.meta.url));
const CACHE_DIRECTORY = join(CHECKOUT, '.floe', 'cache', 'workflow-bundles');
/** Top-level folders that hold no product code: tests, tooling, docs, examples, the build output (and dot-folders). */
const NOT_PRODUCT = new Set(['node_modules', 'dist', 'test', 'scripts', 'bench', 'bin', 'docs', 'examples', 'tmp']);
const SOURCE_FILE = /\.(ts|js|mjs|cjs|json)$/;
const SDK_PACKAGES = ['@temporalio/workflow', '@temporalio/worker', '@temporalio/common'];

// webpack's report of the bundle is noise in a dev pane or a test's output; errors still throw.
export const quietBundleLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The bundle of `workflowsPath` (workflows/index.ts of this checkout), from the cache when the sources are unchanged. */
export async function sourceWorkflowBundle(workflowsPath: string): Promise<{ code: string }> {
  const file = join(CACHE_DIRECTORY, `${await sourcesKey()}.js`);
  try {
    return { code: await readFile(file, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const built = await bundleWorkflowCode({ workflowsPath, logger: quietBundleLogger });
  await mkdir(CACHE_DIRECTORY, { recursive: true });
  // Written aside and renamed: a process starting at the same time reads a whole bundle or none.
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
  for (const name of SDK_PACKAGES) hash.update(`${name} ${await readFile(join(CHECKOUT, 'node_modules', name, 'package.json'), 'utf8')}\n`);
  for (const file of await productSourceFiles()) hash.update(`${relative(CHECKOUT, file)}\n`).update(await readFile(file));
  return hash.digest('hex').slice(0, 32);
}

async function productSourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(CHECKOUT, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || NOT_PRODUCT.has(entry.name)) continue;
    const path = join(CHECKOUT, entry.name);
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
