/**
 * The SQL catalog, table for table what pyiceberg's SqlCatalog and Java's JdbcCatalog keep, so
 * either can open a Floe catalog and the reverse:
 *   iceberg_tables(catalog_name, table_namespace, table_name, metadata_location,
 *                  previous_metadata_location, iceberg_type)
 *   iceberg_namespace_properties(catalog_name, namespace, property_key, property_value)
 * Namespaces are stored as their levels joined with `.`. A commit swaps the pointer with
 * `UPDATE … WHERE metadata_location = <the one we read>`: zero rows means someone else won.
 */
import { FloeError } from '../../core/errors.js';
import type { CatalogCallOptions, Namespace, TableIdentifier } from './catalog.js';
import { checkNamespace, formatTableIdentifier, formatNamespace } from './identifier.js';
import { namespaceNotFound, PointerCatalog, tableExists } from './pointer-catalog.js';
import type { PointerCatalogOptions } from './pointer-catalog.js';
import { isPostgresUri, PostgresDriver } from './postgres-driver.js';
import type { SqlDriver, SqlValue } from './sql-driver.js';
import { SqliteDriver } from './sqlite-driver.js';

/** The DDL pyiceberg 0.12 (SQLAlchemy) emits, which Java's JdbcCatalog V1 schema matches. */
const CREATE_TABLES = `CREATE TABLE IF NOT EXISTS iceberg_tables (
  catalog_name VARCHAR(255) NOT NULL,
  table_namespace VARCHAR(255) NOT NULL,
  table_name VARCHAR(255) NOT NULL,
  metadata_location VARCHAR(1000),
  previous_metadata_location VARCHAR(1000),
  iceberg_type VARCHAR(5),
  PRIMARY KEY (catalog_name, table_namespace, table_name)
)`;
const CREATE_NAMESPACE_PROPERTIES = `CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
  catalog_name VARCHAR(255) NOT NULL,
  namespace VARCHAR(255) NOT NULL,
  property_key VARCHAR(255) NOT NULL,
  property_value VARCHAR(1000) NOT NULL,
  PRIMARY KEY (catalog_name, namespace, property_key)
)`;
const TABLE_TYPE = 'TABLE';
/** What pyiceberg and Java store for a namespace created without properties, so it has a row. */
const MINIMAL_NAMESPACE_PROPERTIES = { exists: 'true' };

export interface SqlCatalogOptions extends PointerCatalogOptions {
  /**
   * SQLite: `sqlite:////abs/catalog.db` (SQLAlchemy), `jdbc:sqlite:/abs/catalog.db` (Java), a path, or `:memory:`.
   * Postgres: `postgresql://user:password@host:port/database` (also `postgresql+psycopg2://…`, `jdbc:postgresql://…`).
   */
  readonly uri: string;
  /** SQLite: create the database file when it does not exist (default true); false makes a missing file `not-found`. */
  readonly create?: boolean;
  /** A ready driver instead of one opened from `uri` (tests wrap one to interpose on statements). */
  readonly driver?: SqlDriver;
}

export class SqlCatalog extends PointerCatalog {
  /**
   * Older catalogs (pyiceberg "v0", Java before views) lack `iceberg_type`; Floe then neither
   * writes nor filters on it, as pyiceberg does, rather than migrate someone else's schema.
   */
  private hasTypeColumn = true;

  private constructor(
    options: SqlCatalogOptions,
    private readonly db: SqlDriver,
  ) {
    super(options);
  }

  static async open(options: SqlCatalogOptions): Promise<SqlCatalog> {
    const catalog = new SqlCatalog(options, options.driver ?? openDriver(options.uri, options.create ?? true));
    try {
      await catalog.initialize();
    } catch (error) {
      await catalog.close();
      throw error;
    }
    return catalog;
  }

  private async initialize(): Promise<void> {
    for (const ddl of [CREATE_TABLES, CREATE_NAMESPACE_PROPERTIES]) {
      try {
        await this.db.execute(ddl);
      } catch (error) {
        // Postgres: two first openers racing on CREATE TABLE IF NOT EXISTS — the loser sees the
        // winner's catalog row as a unique violation; the table is there now.
        if (this.db.classify(error) !== 'unique-violation') throw this.failure(error, 'create the catalog tables');
        await this.run(() => this.db.execute(ddl));
      }
    }
    try {
      await this.db.query('SELECT iceberg_type FROM iceberg_tables WHERE 1 = 0');
    } catch (error) {
      if (this.db.classify(error) !== 'missing-column') throw this.failure(error, 'inspect the catalog tables');
      this.hasTypeColumn = false;
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async namespaceExists(namespace: Namespace): Promise<boolean> {
    const name = namespaceKey(namespace);
    const below = `${name.replaceAll('!', '!!').replaceAll('_', '!_').replaceAll('%', '!%')}.%`;
    const found = await this.run(() =>
      this.db.query(
        `SELECT 1 AS found FROM iceberg_tables WHERE catalog_name = ? AND (table_namespace = ? OR table_namespace LIKE ? ESCAPE '!')
         UNION ALL
         SELECT 1 AS found FROM iceberg_namespace_properties WHERE catalog_name = ? AND (namespace = ? OR namespace LIKE ? ESCAPE '!')
         LIMIT 1`,
        [this.name, name, below, this.name, name, below],
      ),
    );
    return found.length > 0;
  }

  async createNamespace(namespace: Namespace, properties: Readonly<Record<string, string>> = {}): Promise<void> {
    const name = namespaceKey(namespace);
    if (await this.namespaceExists(namespace)) throw namespaceExists(namespace);
    const entries = Object.entries(Object.keys(properties).length === 0 ? MINIMAL_NAMESPACE_PROPERTIES : properties);
    try {
      await this.db.batch(
        entries.map(([key, value]) => ({
          sql: 'INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)',
          params: [this.name, name, key, value],
        })),
      );
    } catch (error) {
      if (this.db.classify(error) === 'unique-violation') throw namespaceExists(namespace);
      throw this.failure(error, `create namespace ${name}`);
    }
  }

  async dropNamespace(namespace: Namespace): Promise<void> {
    const name = namespaceKey(namespace);
    if (!(await this.namespaceExists(namespace))) throw namespaceNotFound(namespace);
    const tables = await this.listTables(namespace);
    if (tables.length > 0) {
      throw new FloeError(
        'invalid-input',
        `Namespace ${name} is not empty: it holds ${tables.length} table(s), e.g. ${formatTableIdentifier(tables[0] as TableIdentifier)}`,
        {
          context: { namespace: name },
        },
      );
    }
    await this.run(() =>
      this.db.execute('DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?', [this.name, name]),
    );
  }

  async loadNamespaceProperties(namespace: Namespace): Promise<Record<string, string>> {
    const name = namespaceKey(namespace);
    if (!(await this.namespaceExists(namespace))) throw namespaceNotFound(namespace);
    const rows = await this.run(() =>
      this.db.query('SELECT property_key, property_value FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?', [
        this.name,
        name,
      ]),
    );
    return Object.fromEntries(rows.map((row) => [String(row['property_key']), String(row['property_value'])]));
  }

  /** Direct children of `parent` (top-level namespaces without it), from both tables, as pyiceberg lists them. */
  async listNamespaces(parent: Namespace = []): Promise<Namespace[]> {
    if (parent.length > 0 && !(await this.namespaceExists(parent))) throw namespaceNotFound(parent);
    const rows = await this.run(() =>
      this.db.query(
        `SELECT table_namespace AS namespace FROM iceberg_tables WHERE catalog_name = ?
         UNION
         SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?`,
        [this.name, this.name],
      ),
    );
    const children = new Map<string, Namespace>();
    for (const row of rows) {
      const levels = String(row['namespace']).split('.');
      if (levels.length <= parent.length || parent.some((level, index) => levels[index] !== level)) continue;
      const child = levels.slice(0, parent.length + 1);
      children.set(child.join('.'), child);
    }
    return [...children.values()].sort((a, b) => a.join('.').localeCompare(b.join('.')));
  }

  async listTables(namespace: Namespace): Promise<TableIdentifier[]> {
    const name = namespaceKey(namespace);
    if (!(await this.namespaceExists(namespace))) throw namespaceNotFound(namespace);
    const rows = await this.run(() =>
      this.db.query(
        `SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?${this.typeFilter()} ORDER BY table_name`,
        [this.name, name, ...this.typeParams()],
      ),
    );
    return rows.map((row) => ({ namespace: [...namespace], name: String(row['table_name']) }));
  }

  protected async getPointer(identifier: TableIdentifier, options: CatalogCallOptions = {}): Promise<string | undefined> {
    const rows = await this.run(
      () =>
        this.db.query(
          `SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?${this.typeFilter()}`,
          [this.name, namespaceKey(identifier.namespace), identifier.name, ...this.typeParams()],
          options,
        ),
      options,
    );
    const location = rows[0]?.['metadata_location'];
    return typeof location === 'string' && location !== '' ? location : undefined;
  }

  protected async insertPointer(identifier: TableIdentifier, metadataLocation: string): Promise<void> {
    const columns = ['catalog_name', 'table_namespace', 'table_name', 'metadata_location', 'previous_metadata_location'];
    const values: SqlValue[] = [this.name, namespaceKey(identifier.namespace), identifier.name, metadataLocation, null];
    if (this.hasTypeColumn) {
      columns.push('iceberg_type');
      values.push(TABLE_TYPE);
    }
    try {
      await this.db.execute(`INSERT INTO iceberg_tables (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values);
    } catch (error) {
      if (this.db.classify(error) === 'unique-violation') throw tableExists(identifier);
      throw this.failure(error, `register table ${formatTableIdentifier(identifier)}`);
    }
  }

  protected async swapPointer(
    identifier: TableIdentifier,
    expected: string,
    next: string,
    options: CatalogCallOptions = {},
  ): Promise<boolean> {
    try {
      const changed = await this.db.execute(
        `UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
         WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`,
        [next, expected, this.name, namespaceKey(identifier.namespace), identifier.name, expected],
        options,
      );
      return changed === 1;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason as Error;
      // A lock timeout means the UPDATE did not run: a conflict to retry, not an unknown outcome.
      if (this.db.classify(error) === 'busy') return false;
      throw new FloeError(
        'commit-state-unknown',
        `Commit to ${formatTableIdentifier(identifier)} may or may not have been applied: ${(error as Error).message}`,
        {
          context: { table: formatTableIdentifier(identifier), catalog: this.name },
          cause: error,
        },
      );
    }
  }

  protected async deletePointer(identifier: TableIdentifier): Promise<boolean> {
    const changed = await this.run(() =>
      this.db.execute(`DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?${this.typeFilter()}`, [
        this.name,
        namespaceKey(identifier.namespace),
        identifier.name,
        ...this.typeParams(),
      ]),
    );
    return changed > 0;
  }

  /** Rows written by Java or iceberg-rust may be views; NULL is a table written before the column existed. */
  private typeFilter(): string {
    return this.hasTypeColumn ? ' AND (iceberg_type = ? OR iceberg_type IS NULL)' : '';
  }

  private typeParams(): SqlValue[] {
    return this.hasTypeColumn ? [TABLE_TYPE] : [];
  }

  private async run<T>(statement: () => Promise<T>, options: CatalogCallOptions = {}): Promise<T> {
    try {
      return await statement();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason as Error;
      throw this.failure(error, 'query the catalog');
    }
  }

  private failure(error: unknown, what: string): FloeError {
    if (FloeError.is(error)) return error;
    const failure = this.db.classify(error);
    const passing = failure === 'busy' || failure === 'connection-lost';
    return new FloeError(passing ? 'io' : 'catalog', `SQL catalog ${this.name} could not ${what}: ${(error as Error).message}`, {
      context: { catalog: this.name },
      cause: error,
      retryable: passing,
    });
  }
}

/** Levels joined with `.` — so a level may not itself contain a dot. */
function namespaceKey(namespace: Namespace): string {
  checkNamespace(namespace);
  const dotted = namespace.find((level) => level.includes('.'));
  if (dotted !== undefined) {
    throw new FloeError(
      'invalid-input',
      `Namespace level ${JSON.stringify(dotted)} contains a dot, which the SQL catalog uses to separate levels`,
      {
        context: { namespace: formatNamespace(namespace) },
      },
    );
  }
  return formatNamespace(namespace);
}

function namespaceExists(namespace: Namespace): FloeError {
  return new FloeError('already-exists', `Namespace ${formatNamespace(namespace)} already exists`, {
    context: { namespace: formatNamespace(namespace) },
  });
}

/** The SQLite file a catalog URI names. */
export function sqlitePathFromUri(uri: string): string {
  if (uri === ':memory:' || uri === 'sqlite://' || uri === 'sqlite:///:memory:') return ':memory:';
  // SQLAlchemy: sqlite:///relative.db and sqlite:////absolute.db
  if (uri.startsWith('sqlite:///')) return uri.slice('sqlite:///'.length);
  if (uri.startsWith('jdbc:sqlite:')) return uri.slice('jdbc:sqlite:'.length).replace(/^file:/, '');
  if (uri.startsWith('file:')) return new URL(uri).pathname;
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
    throw new FloeError(
      'unsupported',
      `SQL catalog URI scheme ${uri.slice(0, uri.indexOf(':'))} is not supported; use SQLite (sqlite:///path/catalog.db) or Postgres (postgresql://user@host:port/database)`,
      {
        context: { uri: uri.slice(0, uri.indexOf(':')) },
      },
    );
  }
  return uri;
}

function openDriver(uri: string, create: boolean): SqlDriver {
  return isPostgresUri(uri) ? new PostgresDriver(uri) : new SqliteDriver(sqlitePathFromUri(uri), { create });
}
