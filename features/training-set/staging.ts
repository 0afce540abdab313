import type { LoadedTable } from '../../iceberg/catalog/catalog.js';
import { metadataDirectory } from '../../iceberg/write/table-locations.js';

/**
 * Where a run stages its chunks before the commit: data files under
 * `<table>/data/training-set/<key>/chunk-NNNNN/`, manifests named `training-set-<key>-cNNNNN-…`
 * in the table's metadata folder (the key made path-safe).
 */

/** The staging folder of a run: `<table>/data/training-set/<key>/`. */
export function stagingRoot(table: LoadedTable, key: string): string {
  return `${table.metadata.location.replace(/\/+$/, '')}/data/training-set/${safeName(key)}`;
}

export function chunkFolder(table: LoadedTable, key: string, index: number): string {
  return `${stagingRoot(table, key)}/chunk-${String(index).padStart(5, '0')}`;
}

/** The name every manifest of the chunk starts with; with a null index, the start of every chunk's manifest names of the run. */
export function chunkManifestName(key: string, index: number | null): string {
  return `training-set-${safeName(key)}-${index === null ? '' : `c${String(index).padStart(5, '0')}-`}`;
}

/** Removes what earlier attempts of the chunk staged (its data files and manifest), so the chunk's files exist once. */
export async function removeStagedChunk(table: LoadedTable, key: string, index: number): Promise<void> {
  await deleteFilesStartingWith(table, `${chunkFolder(table, key, index)}/`);
  await deleteFilesStartingWith(table, `${metadataDirectory(table)}/${chunkManifestName(key, index)}`);
}

/** Where the exchange step writes a view's rows cut by chunk: `<staging root>/exchange/<view>/`. */
export function exchangeFolder(table: LoadedTable, key: string, view: string): string {
  return `${stagingRoot(table, key)}/exchange/${safeName(view)}`;
}

/** Removes the run's exchanged rows (once the chunks that read them are committed); returns how many files. */
export async function removeExchange(table: LoadedTable, key: string): Promise<number> {
  return deleteFilesStartingWith(table, `${stagingRoot(table, key)}/exchange/`);
}

/** Removes every data file and manifest the run staged; returns how many files. */
export async function removeStagedRun(table: LoadedTable, key: string): Promise<number> {
  const dataFiles = await deleteFilesStartingWith(table, `${stagingRoot(table, key)}/`);
  const manifests = await deleteFilesStartingWith(table, `${metadataDirectory(table)}/${chunkManifestName(key, null)}`);
  return dataFiles + manifests;
}

function safeName(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]/g, '_');
}

export async function deleteFilesStartingWith(table: LoadedTable, prefix: string): Promise<number> {
  let removed = 0;
  for await (const file of table.io.list(prefix)) {
    await table.io.delete(file.location);
    removed += 1;
  }
  return removed;
}
