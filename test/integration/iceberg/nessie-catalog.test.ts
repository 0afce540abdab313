// services: nessie, python
// Floe's REST client against Project Nessie's Iceberg REST API, a production catalog (version store
// on Postgres, warehouse on MinIO): the contract the Java fixture passes in rest-catalog.test.ts.
import { nessieCatalogService } from '../../support/services.js';
import { restCatalogContract } from '../../support/iceberg/rest-catalog-contract.js';

restCatalogContract('REST catalog (Nessie)', {
  service: nessieCatalogService,
  location: () => nessieCatalogService().location,
  metadataFiles: 'nessie',
});
