import { fileIOFor, IO_PROPERTY } from '../../iceberg/io/file-io-for.js';
import { ProcessCaches } from '../../iceberg/process-caches.js';
import type { FileIO } from '../../iceberg/io/file-io.js';
import { FloeError } from '../../core/errors.js';
import type { ProjectConfig } from '../config.js';
import type { RegistryDocument } from './document.js';
import { decodeRegistryDocument, encodeRegistryDocument } from './document.js';

const VERSION_FILE = /^v(\d{5,})\.json$/;

/**
 * Versioned registry documents under one location: `v00001.json`, `v00002.json`, … Each is
 * written once with `ifAbsent`, so two concurrent applies cannot both write the same version; the
 * highest version is the registry.
 */
export class RegistryStore {
  constructor(
    readonly location: string,
    private readonly io: FileIO,
  ) {}

  static forProject(config: ProjectConfig): RegistryStore {
    const location = registryLocation(config);
    const catalog = config.catalog;
    const s3 = catalog.s3;
    const properties: Record<string, string | undefined> = {
      ...catalog.properties,
      [IO_PROPERTY.endpoint]: s3?.endpoint,
      [IO_PROPERTY.region]: s3?.region,
      [IO_PROPERTY.pathStyle]: s3?.pathStyle === undefined ? undefined : String(s3.pathStyle),
      [IO_PROPERTY.accessKeyId]: s3?.accessKeyId,
      [IO_PROPERTY.secretAccessKey]: s3?.secretAccessKey,
      [IO_PROPERTY.sessionToken]: s3?.sessionToken,
    };
    return new RegistryStore(location, fileIOFor(location, properties, new ProcessCaches(config.workDirectory)));
  }

  fileOf(version: number): string {
    return `${this.location}/v${String(version).padStart(5, '0')}.json`;
  }

  /** The highest version number written, or 0 when none is. */
  async latestVersion(): Promise<number> {
    let latest = 0;
    for await (const file of this.io.list(`${this.location}/v`)) {
      const name = file.location.slice(file.location.lastIndexOf('/') + 1);
      const match = VERSION_FILE.exec(name);
      if (match) latest = Math.max(latest, Number(match[1]));
    }
    return latest;
  }

  async read(version: number): Promise<RegistryDocument> {
    const location = this.fileOf(version);
    const document = decodeRegistryDocument(await this.io.read(location), location);
    if (document.version !== version)
      throw new FloeError('corrupt', `${location} says it is version ${document.version}`, { context: { location } });
    return document;
  }

  async latest(): Promise<RegistryDocument | null> {
    const version = await this.latestVersion();
    return version === 0 ? null : this.read(version);
  }

  /** Writes the document as its version; `already-exists` when another apply took that version first. */
  async write(document: RegistryDocument): Promise<string> {
    const location = this.fileOf(document.version);
    await this.io.write(location, encodeRegistryDocument(document), { ifAbsent: true });
    return location;
  }
}

/** floe.yaml's registry.location, or `<warehouse>/_floe_registry/<project>` for a SQL catalog. */
export function registryLocation(config: ProjectConfig): string {
  const given = config.registry.location;
  if (given !== undefined) return given.replace(/\/+$/, '');
  if (config.catalog.type === 'sql' && config.catalog.warehouse !== undefined) {
    return `${config.catalog.warehouse.replace(/\/+$/, '')}/_floe_registry/${config.project}`;
  }
  const why = config.catalog.type === 'rest' ? "a REST catalog's warehouse is a name, not a location" : 'the SQL catalog has no warehouse';
  throw new FloeError('invalid-input', `floe.yaml: set registry.location (a folder or s3:// prefix for the registry documents): ${why}`, {
    context: { field: 'registry.location' },
  });
}
