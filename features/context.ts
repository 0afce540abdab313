import type { Engine } from '../engine/duckdb.js';
import type { Catalog } from '../iceberg/catalog/catalog.js';
import type { IoProperties } from '../iceberg/io/file-io-for.js';
import type { Registry } from './registry.js';

/**
 * What every library operation (materialization, compaction, historical retrieval, training sets)
 * needs from the process it runs in. An open runtime (features/runtime.ts) is one; an activity
 * adds its cancellation `signal` per call.
 */
export interface FeatureContext {
  readonly registry: Registry;
  readonly catalog: Catalog;
  readonly engine: Engine;
  /** Local scratch space for DuckDB output on its way to a table's storage. */
  readonly workDirectory: string;
  /** FileIO properties for files outside any table (e.g. s3:// entity rows): the catalog's. */
  readonly ioProperties?: IoProperties;
  readonly signal?: AbortSignal;
}
