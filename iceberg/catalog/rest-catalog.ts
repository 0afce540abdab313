/**
 * The Iceberg REST catalog client (open-api/rest-catalog-open-api.yaml). The server owns the
 * metadata: it checks requirements and applies updates on commit, so this client only speaks the
 * protocol — config negotiation, namespace and table routes, commits, auth — and builds each
 * table's FileIO from the catalog config plus the table's own `config` / storage credentials.
 */
import { LRUCache } from 'lru-cache';
import type { TableRequirement, TableUpdate } from '../table-updates/updates.js';
import { requirementToJson, updateToJson } from '../table-updates/updates-json.js';
import { FloeError } from '../../core/errors.js';
import type { FileIO } from '../io/file-io.js';
import { FileIOCache, mergeIoProperties } from '../io/file-io-for.js';
import type { JsonAt } from '../spec/json.js';
import { arrayOf, asObject, asString, asStringMap, jsonRoot, optional, parseJson, required } from '../spec/json.js';
import { tableMetadataFromJson } from '../spec/metadata-json.js';
import { Redactor } from '../../core/redaction.js';
import { ProcessCaches } from '../process-caches.js';
import { partitionSpecToJson } from '../spec/partition-json.js';
import { schemaToJson } from '../spec/schema-json.js';
import { sortOrderToJson } from '../spec/sort-order-json.js';
import type { Catalog, CatalogCallOptions, CreateTableRequest, LoadedTable, Namespace, TableIdentifier } from './catalog.js';
import { checkIdentifier, checkNamespace, formatTableIdentifier, formatNamespace } from './identifier.js';
import { restAuthFor } from './rest-auth.js';
import { RestHttp } from './rest-http.js';
import { NessieRest, nessieServer, sameLoad } from './nessie-rest.js';
import type { RestResponse } from './rest-http.js';
import { defined } from '../../contracts/defined.js';

export interface RestCatalogOptions {
  readonly name: string;
  readonly uri: string;
  /** Sent to GET /v1/config as `warehouse`; the server may map it to a prefix. */
  readonly warehouse?: string;
  /** A bearer token used as is. */
  readonly token?: string;
  /** OAuth2 client credentials, `client_id:client_secret`. */
  readonly credential?: string;
  /** Token endpoint; defaults to `<uri>/v1/oauth/tokens`. */
  readonly oauth2ServerUri?: string;
  readonly scope?: string;
  /** Client-side catalog properties (`s3.endpoint`, …), between the server's defaults and overrides. */
  readonly properties?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  /** The process's caches (the runtime's); the catalog makes its own without. */
  readonly caches?: ProcessCaches;
  /** The process's redactor (the runtime's), told the credentials the catalog is vended; the catalog makes its own without. */
  readonly redactor?: Redactor;
}

/** Table config keys that hold credentials (`s3.secret-access-key`, `s3.session-token`, `token`, `gcs.oauth2.token`, …); an access key id is not one. */
const VENDED_SECRET = /secret|token|password|credential|sas\./i;

/** The spec's default namespace separator, `0x1F`, url-encoded as %1F. */
const NAMESPACE_SEPARATOR = '\x1f';

interface TableConfig {
  readonly config: Record<string, string>;
  readonly credentials: readonly { prefix: string; config: Record<string, string> }[];
}

export class RestCatalog implements Catalog {
  readonly name: string;
  readonly caches: ProcessCaches;
  readonly redactor: Redactor;
  private readonly ios: FileIOCache;
  private readonly tableConfigs = new Map<string, TableConfig>();
  private readonly lastLoads = new LRUCache<string, { readonly text: string; readonly loaded: LoadedTable }>({
    // Weighed by the reply's length; the parsed table beside it takes a few times as much.
    maxSize: 16 * 1024 * 1024,
    sizeCalculation: (load) => Math.max(1, load.text.length),
  });
  /** What the client does beyond the spec when the server is Nessie. */
  private readonly nessie: NessieRest | undefined;

  private constructor(
    options: RestCatalogOptions,
    private readonly http: RestHttp,
    /** The catalog's properties after the server's defaults and overrides. */
    readonly properties: Readonly<Record<string, string>>,
    connect: (uri: string) => RestHttp,
    redactor: Redactor,
  ) {
    this.name = options.name;
    this.caches = options.caches ?? new ProcessCaches();
    this.redactor = redactor;
    this.ios = new FileIOCache(this.caches);
    const server = nessieServer(properties);
    this.nessie = server === undefined ? undefined : new NessieRest(server, connect(server.coreBaseUri));
  }

  static async open(options: RestCatalogOptions): Promise<RestCatalog> {
    const redactor = options.redactor ?? new Redactor();
    const auth = restAuthFor({ ...options, redactor });
    const connect = (uri: string): RestHttp =>
      new RestHttp({
        baseUri: uri,
        auth,
        catalog: options.name,
        redactor,
        ...defined({ timeoutMs: options.timeoutMs, headers: options.headers, fetch: options.fetch }),
      });
    const bootstrap = connect(options.uri);
    const response = await bootstrap.send({
      method: 'GET',
      path: '/v1/config',
      query: { warehouse: options.warehouse },
      what: `read the configuration of REST catalog ${options.uri}`,
    });
    const at = jsonRoot(response.source);
    const body = asObject(response.json ?? {}, at);
    const defaults = optional(body, 'defaults', at, asStringMap) ?? {};
    const overrides = optional(body, 'overrides', at, asStringMap) ?? {};
    const client = mergeIoProperties(options.properties, defined({ warehouse: options.warehouse }));
    const properties = mergeIoProperties(defaults, client, overrides);
    const uri = overrides['uri'] ?? options.uri;
    return new RestCatalog(options, uri === options.uri ? bootstrap : connect(uri), properties, connect, redactor);
  }

  private get prefixPath(): string {
    return prefixPath(this.properties['prefix']);
  }

  private namespacePath(namespace: Namespace, prefix = this.prefixPath): string {
    checkNamespace(namespace);
    return `${prefix}/namespaces/${encodeURIComponent(namespace.join(NAMESPACE_SEPARATOR))}`;
  }

  private tablePath(identifier: TableIdentifier, prefix = this.prefixPath): string {
    checkIdentifier(identifier);
    return `${this.namespacePath(identifier.namespace, prefix)}/tables/${encodeURIComponent(identifier.name)}`;
  }

  async listNamespaces(parent?: Namespace): Promise<Namespace[]> {
    const query: Record<string, string> = parent === undefined || parent.length === 0 ? {} : { parent: parent.join(NAMESPACE_SEPARATOR) };
    return this.paged(
      `${this.prefixPath}/namespaces`,
      query,
      'namespaces',
      `list namespaces${parent ? ` under ${formatNamespace(parent)}` : ''}`,
      arrayOf(asString),
    );
  }

  async createNamespace(namespace: Namespace, properties: Readonly<Record<string, string>> = {}): Promise<void> {
    checkNamespace(namespace);
    await this.http.send({
      method: 'POST',
      path: `${this.prefixPath}/namespaces`,
      body: { namespace: [...namespace], properties: { ...properties } },
      what: `create namespace ${formatNamespace(namespace)}`,
      context: { namespace: formatNamespace(namespace) },
    });
  }

  async namespaceExists(namespace: Namespace): Promise<boolean> {
    return this.exists(this.namespacePath(namespace), `check namespace ${formatNamespace(namespace)}`, {
      namespace: formatNamespace(namespace),
    });
  }

  async dropNamespace(namespace: Namespace): Promise<void> {
    // 409 here is the spec's NamespaceNotEmptyException.
    await this.http.send({
      method: 'DELETE',
      path: this.namespacePath(namespace),
      what: `drop namespace ${formatNamespace(namespace)}`,
      context: { namespace: formatNamespace(namespace) },
      onConflict: 'invalid-input',
    });
  }

  async listTables(namespace: Namespace): Promise<TableIdentifier[]> {
    return this.paged(
      `${this.namespacePath(namespace)}/tables`,
      {},
      'identifiers',
      `list tables in ${formatNamespace(namespace)}`,
      parseIdentifier,
    );
  }

  async createTable(identifier: TableIdentifier, request: CreateTableRequest): Promise<LoadedTable> {
    checkIdentifier(identifier);
    const properties = {
      ...request.properties,
      ...(request.formatVersion === undefined ? {} : { 'format-version': String(request.formatVersion) }),
    };
    const response = await this.http.send({
      method: 'POST',
      path: `${this.namespacePath(identifier.namespace)}/tables`,
      body: {
        name: identifier.name,
        ...defined({ location: request.location }),
        schema: schemaToJson(request.schema),
        ...(request.partitionSpec === undefined ? {} : { 'partition-spec': partitionSpecToJson(request.partitionSpec) }),
        ...(request.sortOrder === undefined ? {} : { 'write-order': sortOrderToJson(request.sortOrder) }),
        'stage-create': false,
        properties,
      },
      what: `create table ${formatTableIdentifier(identifier)}`,
      context: { table: formatTableIdentifier(identifier) },
    });
    return this.loadResult(identifier, response);
  }

  /**
   * A response identical to the table's last one returns the table loaded then: parsing a large
   * table's metadata costs milliseconds of CPU (every int64 parsed losslessly), and a feature
   * server asks for each online table every second, mostly to learn that nothing changed.
   */
  async loadTable(identifier: TableIdentifier, options: CatalogCallOptions = {}): Promise<LoadedTable> {
    const key = formatTableIdentifier(identifier);
    const response = await this.http.send({
      method: 'GET',
      path: this.tablePath(identifier),
      what: `load table ${key}`,
      context: { table: key },
      raw: true,
      ...defined({ signal: options.signal }),
    });
    const text = response.text ?? '';
    const last = this.lastLoads.get(key);
    if (last !== undefined && sameLoad(last.text, text)) return last.loaded;
    const loaded = await this.withHistory(
      this.loadResult(identifier, { ...response, json: parseJson(text, `REST response to ${response.source}`) }),
    );
    this.lastLoads.set(key, { text, loaded });
    return loaded;
  }

  /** Against Nessie, the branch head's recent ancestors, read back from its commit log (see nessie-rest.ts). */
  private withHistory(loaded: LoadedTable): Promise<LoadedTable> {
    return this.nessie === undefined ? Promise.resolve(loaded) : this.nessie.withHistory(loaded);
  }

  async tableExists(identifier: TableIdentifier, options: CatalogCallOptions = {}): Promise<boolean> {
    return this.exists(
      this.tablePath(identifier),
      `check table ${formatTableIdentifier(identifier)}`,
      { table: formatTableIdentifier(identifier) },
      options,
    );
  }

  /** HEAD, as the spec defines for existence; servers that predate those routes get a GET instead. */
  private async exists(path: string, what: string, context: Record<string, string>, options: CatalogCallOptions = {}): Promise<boolean> {
    const signal = defined({ signal: options.signal });
    try {
      return (await this.http.send({ method: 'HEAD', path, what, context, ...signal })).status !== 404;
    } catch (error) {
      const status = FloeError.is(error) ? error.context['status'] : undefined;
      if (status !== 405 && status !== 501) throw error;
      try {
        await this.http.send({ method: 'GET', path, what, context, ...signal });
        return true;
      } catch (fallbackError) {
        if (FloeError.is(fallbackError, 'not-found')) return false;
        throw fallbackError;
      }
    }
  }

  async dropTable(identifier: TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    await this.http.send({
      method: 'DELETE',
      path: this.tablePath(identifier),
      query: { purgeRequested: String(options.purge ?? false) },
      what: `drop table ${formatTableIdentifier(identifier)}`,
      context: { table: formatTableIdentifier(identifier) },
    });
    this.tableConfigs.delete(formatTableIdentifier(identifier));
  }

  async commitTable(
    identifier: TableIdentifier,
    requirements: readonly TableRequirement[],
    updates: readonly TableUpdate[],
    options: CatalogCallOptions = {},
  ): Promise<LoadedTable> {
    const response = await this.http.send({
      method: 'POST',
      path: this.tablePath(identifier, await this.commitPrefix(identifier, requirements)),
      body: {
        identifier: { namespace: [...identifier.namespace], name: identifier.name },
        requirements: requirements.map(requirementToJson),
        updates: updates.map(updateToJson),
      },
      what: `commit to table ${formatTableIdentifier(identifier)}`,
      context: { table: formatTableIdentifier(identifier) },
      commit: true,
      raw: true,
      ...defined({ signal: options.signal }),
    });
    let committed: LoadedTable;
    try {
      committed = this.loadResult(identifier, { ...response, json: parseJson(response.text ?? '', `REST response to ${response.source}`) });
    } catch (cause) {
      // The catalog answered 2xx: the commit was applied, whatever its answer holds.
      const table = formatTableIdentifier(identifier);
      throw new FloeError(
        'commit-state-unknown',
        `The REST catalog applied the commit to table ${table}, but its answer could not be read`,
        {
          context: { table },
          cause,
        },
      );
    }
    return this.withHistory(committed);
  }

  /** Where a commit is sent: against Nessie, a commit that requires an empty branch is pinned (see nessie-rest.ts). */
  private async commitPrefix(identifier: TableIdentifier, requirements: readonly TableRequirement[]): Promise<string> {
    if (this.nessie === undefined) return this.prefixPath;
    const table = formatTableIdentifier(identifier);
    const pinned = await this.nessie.pinnedPrefix(table, requirements, async () =>
      this.loadResult(
        identifier,
        await this.http.send({ method: 'GET', path: this.tablePath(identifier), what: `load table ${table}`, context: { table } }),
      ),
    );
    return prefixPath(pinned ?? this.properties['prefix']);
  }

  async close(): Promise<void> {
    this.tableConfigs.clear();
    this.lastLoads.clear();
  }

  /** LoadTableResult / CommitTableResponse → LoadedTable. A commit response has no config: the last one seen is kept. */
  private loadResult(identifier: TableIdentifier, response: RestResponse): LoadedTable {
    const at = jsonRoot(`REST response to ${response.source}`);
    const body = asObject(response.json, at);
    const metadataLocation = required(body, 'metadata-location', at, asString);
    const metadata = tableMetadataFromJson(body['metadata'], `${at.source} (metadata of ${formatTableIdentifier(identifier)})`);
    const key = formatTableIdentifier(identifier);
    const config = optional(body, 'config', at, asStringMap);
    const credentials = optional(body, 'storage-credentials', at, arrayOf(parseStorageCredential));
    if (config !== undefined || credentials !== undefined)
      this.tableConfigs.set(key, { config: config ?? {}, credentials: credentials ?? [] });
    // Vended credentials are secrets learned at run time: no message may repeat them either.
    for (const properties of [config ?? {}, ...(credentials ?? []).map((credential) => credential.config)])
      this.redactor.register(
        Object.entries(properties)
          .filter(([name]) => VENDED_SECRET.test(name))
          .map(([, value]) => value),
      );
    return { identifier, metadataLocation, metadata, io: this.ioFor(metadata.location, this.tableConfigs.get(key)), caches: this.caches };
  }

  private ioFor(location: string, table: TableConfig | undefined): FileIO {
    // Spec: storage credentials take precedence over config; the longest matching prefix wins.
    const credential = [...(table?.credentials ?? [])]
      .filter((entry) => location.startsWith(entry.prefix))
      .sort((a, b) => b.prefix.length - a.prefix.length)[0];
    return this.ios.get(location, mergeIoProperties(this.properties, table?.config, credential?.config));
  }

  private async paged<T>(
    path: string,
    query: Record<string, string>,
    field: string,
    what: string,
    read: (value: unknown, at: JsonAt) => T,
  ): Promise<T[]> {
    const results: T[] = [];
    let pageToken: string | undefined;
    do {
      const response = await this.http.send({ method: 'GET', path, query: { ...query, pageToken }, what });
      const at = jsonRoot(`REST response to ${response.source}`);
      const body = asObject(response.json, at);
      results.push(...required(body, field, at, arrayOf(read)));
      pageToken = optional(body, 'next-page-token', at, asString);
    } while (pageToken !== undefined && pageToken !== '');
    return results;
  }
}

/**
 * The server's `prefix` goes into paths as it sent it, as Iceberg's Java and Python clients put
 * it: a server that needs reserved characters in it sends them encoded (Nessie's `main%7Cfloe`),
 * and encoding it again would name another prefix.
 */
function prefixPath(prefix: string | undefined): string {
  return prefix === undefined || prefix === '' ? '/v1' : `/v1/${prefix.replace(/^\/+|\/+$/g, '')}`;
}

function parseIdentifier(value: unknown, at: JsonAt): TableIdentifier {
  const object = asObject(value, at);
  return { namespace: required(object, 'namespace', at, arrayOf(asString)), name: required(object, 'name', at, asString) };
}

function parseStorageCredential(value: unknown, at: JsonAt): { prefix: string; config: Record<string, string> } {
  const object = asObject(value, at);
  return { prefix: required(object, 'prefix', at, asString), config: required(object, 'config', at, asStringMap) };
}
