import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../engine/duckdb.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import type { IoProperties } from '../iceberg/io/file-io-for.js';
import type { Registry } from './registry.js';
import { defined } from '../contracts/defined.js';

/**
 * What every library operation (materialization, compaction, historical retrieval, training sets)
 * needs from the process it runs in. An open runtime (features/runtime.ts) is one; an activity
 * adds its cancellation `signal` per call.
 */
export interface FeatureContext {
  readonly registry: Registry;
  readonly catalog: Catalog;
  readonly engine: Engine;
  /**
   * Local scratch space for DuckDB output on its way to a table's storage: a runtime's is its
   * process caches' scratch root. The caches themselves, and the process's redactor, travel
   * with the catalog (`catalog.caches`, which every table it loads carries, and `catalog.redactor`).
   */
  readonly workDirectory: string;
  /** FileIO properties for files outside any table (e.g. s3:// entity rows): the catalog's. */
  readonly ioProperties?: IoProperties;
  readonly signal?: AbortSignal;
}

/** The `signal` option of a call made for this context: its cancellation, when it has one. */
export function signalOf(context: Pick<FeatureContext, 'signal'>): { signal?: AbortSignal } {
  return defined({ signal: context.signal });
}

/** Runs `work` with a fresh local folder `<workDirectory>/scratch/<name>`, removed afterwards whatever happens. */
export async function withScratchDirectory<T>(context: FeatureContext, name: string, work: (directory: string) => Promise<T>): Promise<T> {
  const directory = path.join(context.workDirectory, 'scratch', name);
  await mkdir(directory, { recursive: true });
  try {
    return await work(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
