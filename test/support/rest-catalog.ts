// The REST catalog fixture as Floe and pyiceberg are pointed at it: the same catalog and MinIO
// bucket, each in its own configuration shape.
import type { CatalogConfig } from '../../iceberg/catalog/catalog-config.js';
import type { OracleCatalog } from './pyiceberg.js';
import { restCatalogService } from './services.js';
import type { RestCatalogService } from './services.js';

/** Floe's `catalog` section for the fixture (MinIO needs path-style requests). */
export function floeRestCatalog(rest: RestCatalogService = restCatalogService()): CatalogConfig {
  return {
    type: 'rest',
    uri: rest.uri,
    warehouse: rest.warehouse,
    s3: {
      endpoint: rest.s3.endpoint,
      region: rest.s3.region,
      pathStyle: true,
      accessKeyId: rest.s3.accessKeyId,
      secretAccessKey: rest.s3.secretAccessKey,
    },
  };
}

/** pyiceberg's (and the Java oracle's) view of the fixture. */
export function oracleRestCatalog(rest: RestCatalogService = restCatalogService()): OracleCatalog & { type: 'rest' } {
  return oracleCatalogFor(rest);
}

/** pyiceberg's view of any REST catalog of the stack (the fixture, Nessie). */
export function oracleCatalogFor(rest: RestCatalogService): OracleCatalog & { type: 'rest' } {
  return {
    type: 'rest',
    uri: rest.uri,
    warehouse: rest.warehouse,
    s3: { endpoint: rest.s3.endpoint, accessKeyId: rest.s3.accessKeyId, secretAccessKey: rest.s3.secretAccessKey, region: rest.s3.region },
  };
}
