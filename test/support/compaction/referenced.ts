import type { Catalog, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { normalizeLocation } from '../../../iceberg/maintenance/remove-orphan-files.js';
import type { OracleCatalog } from '../pyiceberg.js';
import { runPyiceberg } from '../pyiceberg.js';

/** Every file pyiceberg says a table refers to: metadata files, manifest lists, manifests, data and delete files. */
export async function referencedByPyiceberg(catalog: OracleCatalog, identifier: string): Promise<string[]> {
  const inspect = async (what: string) =>
    (await runPyiceberg<{ rows: Record<string, unknown>[] }>('inspect', { catalog, identifier, what })).rows;
  const metadata = await runPyiceberg<{ metadata_location: string }>('load_metadata', { catalog, identifier });
  const files = new Set<string>([metadata.metadata_location]);
  for (const row of await inspect('metadata_log_entries')) files.add(String(row.file));
  for (const row of await inspect('snapshots')) files.add(String(row.manifest_list));
  for (const row of await inspect('all_manifests')) files.add(String(row.path));
  for (const row of await inspect('files')) files.add(String(row.file_path));
  return [...files].map(normalizeLocation).sort();
}

/** Files under the table's location that its metadata does not refer to, as pyiceberg sees it (normalized, sorted). */
export async function unreferencedFiles(catalog: Catalog, oracle: OracleCatalog, identifier: TableIdentifier): Promise<string[]> {
  const loaded = await catalog.loadTable(identifier);
  const referenced = new Set(await referencedByPyiceberg(oracle, formatTableIdentifier(identifier)));
  const unreferenced: string[] = [];
  for await (const file of loaded.io.list(`${loaded.metadata.location}/`))
    if (!referenced.has(normalizeLocation(file.location))) unreferenced.push(normalizeLocation(file.location));
  return unreferenced.sort();
}
