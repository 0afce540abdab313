import type { Redactor } from '../../core/redaction.js';
import type { TableRequirement, TableUpdate } from '../table-updates/updates.js';
import type { FileIO } from '../io/file-io.js';
import type { ProcessCaches } from '../process-caches.js';
import type { TableMetadata } from '../spec/metadata.js';
import type { PartitionSpec } from '../spec/partition.js';
import type { Schema } from '../spec/schema.js';
import type { SortOrder } from '../spec/sort-order.js';

export type Namespace = readonly string[];

export interface TableIdentifier {
  readonly namespace: Namespace;
  readonly name: string;
}

/**
 * A table as loaded from its catalog: one metadata file, the FileIO to read its files, and its
 * catalog's process caches (decoded manifests, compiled Avro types, local deletion vectors).
 */
export interface LoadedTable {
  readonly identifier: TableIdentifier;
  readonly metadataLocation: string;
  readonly metadata: TableMetadata;
  readonly io: FileIO;
  readonly caches: ProcessCaches;
}

export interface CreateTableRequest {
  readonly schema: Schema;
  readonly partitionSpec?: PartitionSpec;
  readonly sortOrder?: SortOrder;
  readonly properties?: Readonly<Record<string, string>>;
  /** Defaults to the catalog's warehouse location for the identifier. */
  readonly location?: string;
  readonly formatVersion?: 2 | 3;
}

/**
 * Per call: a `signal` that aborts cancels the call, which then rejects with the signal's reason
 * whatever it had already sent: a commit cancelled that way may or may not have been applied.
 */
export interface CatalogCallOptions {
  readonly signal?: AbortSignal;
}

export interface Catalog {
  readonly name: string;
  /** What the catalog keeps between calls (its tables' too): the runtime's, or its own. */
  readonly caches: ProcessCaches;
  /** The process's redaction step (the runtime's, or its own), told what secrets the catalog learns. */
  readonly redactor: Redactor;
  listNamespaces(parent?: Namespace): Promise<Namespace[]>;
  createNamespace(namespace: Namespace, properties?: Readonly<Record<string, string>>): Promise<void>;
  namespaceExists(namespace: Namespace): Promise<boolean>;
  dropNamespace(namespace: Namespace): Promise<void>;
  listTables(namespace: Namespace): Promise<TableIdentifier[]>;
  createTable(identifier: TableIdentifier, request: CreateTableRequest): Promise<LoadedTable>;
  loadTable(identifier: TableIdentifier, options?: CatalogCallOptions): Promise<LoadedTable>;
  tableExists(identifier: TableIdentifier, options?: CatalogCallOptions): Promise<boolean>;
  dropTable(identifier: TableIdentifier, options?: { purge?: boolean }): Promise<void>;
  /**
   * One atomic commit: the updates apply only if every requirement holds against the table as the
   * catalog has it now. Fails with kind `commit-conflict` when one does not, with
   * `commit-state-unknown` whenever the commit may have been applied (a lost answer, a 5xx; a
   * CommitStateUnknownError when the catalog wrote files for it, such as its metadata file), and
   * with a CommitNotSentError when the request never reached the catalog.
   */
  commitTable(
    identifier: TableIdentifier,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
    options?: CatalogCallOptions,
  ): Promise<LoadedTable>;
  close(): Promise<void>;
}
