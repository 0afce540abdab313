import type { LoadedTable } from '../catalog/catalog.js';

/** Where a table's manifests and manifest lists go. */
export function metadataDirectory(table: LoadedTable): string {
  return `${table.metadata.location.replace(/\/+$/, '')}/metadata`;
}

/** Where a table's data and delete files go: `write.data.path`, else `<location>/data`. */
export function dataDirectory(table: LoadedTable): string {
  const configured = table.metadata.properties['write.data.path'];
  return configured ? configured.replace(/\/+$/, '') : `${table.metadata.location.replace(/\/+$/, '')}/data`;
}
