/**
 * The shared base of catalogs that keep only a pointer to each table's current metadata file
 * (SQL now; Glue, Hive or DynamoDB could follow), as pyiceberg's MetastoreCatalog is. The base does
 * the Iceberg work — new-table metadata, requirements, updates, writing a NEW metadata file — and a
 * subclass stores namespaces and swaps pointers atomically (compare-and-swap on the old location).
 */
import { applyUpdates } from '../table-updates/apply-updates.js';
import { validateRequirements } from '../table-updates/requirements.js';
import type { TableRequirement, TableUpdate } from '../table-updates/updates.js';
import { CommitStateUnknownError, FloeError } from '../../core/errors.js';
import { Redactor } from '../../core/redaction.js';
import type { FileIO } from '../io/file-io.js';
import { FileIOCache, mergeIoProperties } from '../io/file-io-for.js';
import { ProcessCaches } from '../process-caches.js';
import type { TableMetadata } from '../spec/metadata.js';
import { newTableMetadata } from '../spec/new-table-metadata.js';
import type { Catalog, CatalogCallOptions, CreateTableRequest, LoadedTable, Namespace, TableIdentifier } from './catalog.js';
import { checkIdentifier, formatTableIdentifier, formatNamespace } from './identifier.js';
import { newMetadataLocation, readMetadataFile, writeMetadataFile } from './metadata-files.js';
import { defined } from '../../contracts/defined.js';

export interface PointerCatalogOptions {
  readonly name: string;
  /** Where new tables go: `<warehouse>/<namespace>/<table>`, as pyiceberg lays them out. */
  readonly warehouse?: string;
  /** FileIO settings (`s3.endpoint`, …) for every table of this catalog. */
  readonly properties?: Readonly<Record<string, string>>;
  /** The commit clock; tests may pin it. */
  readonly now?: () => number;
  /** The process's caches (the runtime's); the catalog makes its own without. */
  readonly caches?: ProcessCaches;
  /** The process's redactor (the runtime's); the catalog makes its own without. */
  readonly redactor?: Redactor;
}

/** Namespace property that gives a namespace its own location for new tables. */
export const NAMESPACE_LOCATION_PROPERTY = 'location';

export abstract class PointerCatalog implements Catalog {
  readonly name: string;
  readonly caches: ProcessCaches;
  readonly redactor: Redactor;
  protected readonly warehouse: string | undefined;
  protected readonly properties: Readonly<Record<string, string>>;
  private readonly now: () => number;
  private readonly ios: FileIOCache;

  constructor(options: PointerCatalogOptions) {
    this.name = options.name;
    this.warehouse = options.warehouse?.replace(/\/+$/, '');
    this.properties = options.properties ?? {};
    this.now = options.now ?? Date.now;
    this.caches = options.caches ?? new ProcessCaches();
    this.redactor = options.redactor ?? new Redactor();
    this.ios = new FileIOCache(this.caches);
  }

  // What a subclass stores.
  abstract listNamespaces(parent?: Namespace): Promise<Namespace[]>;
  abstract createNamespace(namespace: Namespace, properties?: Readonly<Record<string, string>>): Promise<void>;
  abstract namespaceExists(namespace: Namespace): Promise<boolean>;
  abstract dropNamespace(namespace: Namespace): Promise<void>;
  abstract loadNamespaceProperties(namespace: Namespace): Promise<Record<string, string>>;
  abstract listTables(namespace: Namespace): Promise<TableIdentifier[]>;
  abstract close(): Promise<void>;
  /** The current metadata location, or undefined when the catalog has no such table. */
  protected abstract getPointer(identifier: TableIdentifier, options?: CatalogCallOptions): Promise<string | undefined>;
  /** Registers a new table; `already-exists` when the name is taken. */
  protected abstract insertPointer(identifier: TableIdentifier, metadataLocation: string): Promise<void>;
  /**
   * Points the table at `next` only if it still points at `expected`; false when it does not.
   * Must throw `commit-state-unknown` when it cannot tell whether the swap happened (or, cancelled, the signal's reason).
   */
  protected abstract swapPointer(
    identifier: TableIdentifier,
    expected: string,
    next: string,
    options?: CatalogCallOptions,
  ): Promise<boolean>;
  /** False when there was no such table. */
  protected abstract deletePointer(identifier: TableIdentifier): Promise<boolean>;

  async createTable(identifier: TableIdentifier, request: CreateTableRequest): Promise<LoadedTable> {
    checkIdentifier(identifier);
    if (!(await this.namespaceExists(identifier.namespace))) throw namespaceNotFound(identifier.namespace);
    if ((await this.getPointer(identifier)) !== undefined) throw tableExists(identifier);
    const location = request.location ?? (await this.defaultTableLocation(identifier));
    const metadata = newTableMetadata({
      location,
      schema: request.schema,
      ...defined({
        partitionSpec: request.partitionSpec,
        sortOrder: request.sortOrder,
        properties: request.properties,
        formatVersion: request.formatVersion,
      }),
      nowMs: this.now(),
    });
    const metadataLocation = newMetadataLocation(metadata);
    const io = this.ioFor(metadataLocation, metadata.properties);
    await writeMetadataFile(io, metadataLocation, metadata, this.caches);
    try {
      await this.insertPointer(identifier, metadataLocation);
    } catch (error) {
      await io.delete(metadataLocation).catch(() => undefined); // nobody points at it
      throw error;
    }
    return { identifier, metadataLocation, metadata, io, caches: this.caches };
  }

  async loadTable(identifier: TableIdentifier, options: CatalogCallOptions = {}): Promise<LoadedTable> {
    checkIdentifier(identifier);
    const metadataLocation = await this.getPointer(identifier, options);
    if (metadataLocation === undefined) throw tableNotFound(identifier);
    let metadata: TableMetadata;
    try {
      metadata = await readMetadataFile(this.ioFor(metadataLocation), metadataLocation, this.caches);
    } catch (error) {
      throw unreadableMetadata(error, identifier, metadataLocation);
    }
    options.signal?.throwIfAborted();
    return { identifier, metadataLocation, metadata, io: this.ioFor(metadataLocation, metadata.properties), caches: this.caches };
  }

  async tableExists(identifier: TableIdentifier, options: CatalogCallOptions = {}): Promise<boolean> {
    checkIdentifier(identifier);
    return (await this.getPointer(identifier, options)) !== undefined;
  }

  /**
   * Purging deletes what the table's own folders hold (`data/`, `metadata/`) and every metadata file
   * it recorded, not what it merely references elsewhere: reading manifests to find those is the
   * job of a maintenance action, not of drop.
   */
  async dropTable(identifier: TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    const table = options.purge ? await this.loadTable(identifier) : undefined;
    if (!(await this.deletePointer(identifier))) throw tableNotFound(identifier);
    if (table === undefined) return;
    const files = new Set([table.metadataLocation, ...table.metadata.metadataLog.map((entry) => entry.metadataFile)]);
    for (const folder of ['data', 'metadata']) {
      for await (const file of table.io.list(`${table.metadata.location}/${folder}/`)) files.add(file.location);
    }
    for (const file of files) await table.io.delete(file).catch(() => undefined);
  }

  async commitTable(
    identifier: TableIdentifier,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
    options: CatalogCallOptions = {},
  ): Promise<LoadedTable> {
    const current = await this.loadTable(identifier, options);
    validateRequirements(current.metadata, requirements, formatTableIdentifier(identifier));
    const metadata = applyUpdates(current.metadata, updates, { nowMs: this.now(), baseMetadataLocation: current.metadataLocation });
    if (metadata === current.metadata) return current;
    const metadataLocation = newMetadataLocation(metadata, current.metadataLocation);
    const io = this.ioFor(metadataLocation, metadata.properties);
    await writeMetadataFile(io, metadataLocation, metadata, this.caches);
    let swapped: boolean;
    try {
      swapped = await this.swapPointer(identifier, current.metadataLocation, metadataLocation, options);
    } catch (error) {
      // A non-retryable failure means the pointer did not move; after any other the file may be the table's.
      if (FloeError.is(error) && !error.retryable) await io.delete(metadataLocation).catch(() => undefined);
      // The commit loop deletes it with the attempt's other files once it knows the attempt cannot land.
      if (FloeError.is(error, 'commit-state-unknown') && !(error instanceof CommitStateUnknownError))
        throw new CommitStateUnknownError(error.detail, [metadataLocation], { context: error.context, cause: error.cause ?? error });
      throw error;
    }
    if (!swapped) {
      await io.delete(metadataLocation).catch(() => undefined); // lost the race: the file is nobody's
      throw new FloeError(
        'commit-conflict',
        `Table ${formatTableIdentifier(identifier)} was changed by another commit since ${current.metadataLocation} was read`,
        {
          context: { table: formatTableIdentifier(identifier), catalog: this.name },
        },
      );
    }
    return { identifier, metadataLocation, metadata, io, caches: this.caches };
  }

  /** `<namespace location>/<table>` when the namespace has one, else `<warehouse>/<a.b>/<table>` (pyiceberg's layout). */
  protected async defaultTableLocation(identifier: TableIdentifier): Promise<string> {
    const namespaceLocation = (await this.loadNamespaceProperties(identifier.namespace))[NAMESPACE_LOCATION_PROPERTY];
    if (namespaceLocation !== undefined) return `${namespaceLocation.replace(/\/+$/, '')}/${identifier.name}`;
    if (this.warehouse === undefined) {
      throw new FloeError(
        'invalid-input',
        `Catalog ${this.name} has no warehouse: give table ${formatTableIdentifier(identifier)} a location, or configure the catalog's warehouse`,
        {
          context: { table: formatTableIdentifier(identifier), catalog: this.name },
        },
      );
    }
    return `${this.warehouse}/${formatNamespace(identifier.namespace)}/${identifier.name}`;
  }

  protected ioFor(location: string, tableProperties?: Readonly<Record<string, string>>): FileIO {
    return this.ios.get(location, mergeIoProperties(this.properties, tableProperties));
  }
}

/** A current metadata file that is gone or does not parse: named with its table, and not retried. */
function unreadableMetadata(error: unknown, identifier: TableIdentifier, location: string): unknown {
  const table = formatTableIdentifier(identifier);
  const context = { table, file: location };
  if (FloeError.is(error, 'not-found')) {
    return new FloeError(
      'not-found',
      `Table ${table}: the catalog points at metadata file ${location}, which does not exist (expected the table's current metadata JSON there)`,
      { context, cause: error, retryable: false },
    );
  }
  if (FloeError.is(error, 'corrupt') || FloeError.is(error, 'unsupported')) {
    return new FloeError(error.kind, `Table ${table}: ${error.detail} (expected Iceberg table metadata JSON in ${location})`, {
      context: { ...error.context, ...context },
      cause: error,
      retryable: false,
    });
  }
  return error;
}

export function tableNotFound(identifier: TableIdentifier): FloeError {
  return new FloeError('not-found', `Table ${formatTableIdentifier(identifier)} does not exist`, {
    context: { table: formatTableIdentifier(identifier) },
  });
}

export function tableExists(identifier: TableIdentifier): FloeError {
  return new FloeError('already-exists', `Table ${formatTableIdentifier(identifier)} already exists`, {
    context: { table: formatTableIdentifier(identifier) },
  });
}

export function namespaceNotFound(namespace: Namespace): FloeError {
  return new FloeError('not-found', `Namespace ${formatNamespace(namespace)} does not exist`, {
    context: { namespace: formatNamespace(namespace) },
  });
}
