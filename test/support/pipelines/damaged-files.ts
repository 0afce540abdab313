/**
 * Damaging a table's files for one step and putting them back: what the fault-classification and
 * bad-input tests share. `tableFiles` finds the current metadata JSON, manifest list and one data
 * file of a table; `withDamagedFile` rewrites one of them for the length of `run`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import type { CatalogConfig } from '../../../iceberg/catalog/catalog-config.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { localPath } from '../../../iceberg/io/local-file-io.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { currentSnapshot } from '../../../iceberg/spec/metadata.js';

export interface TableFiles {
  readonly metadata: string;
  readonly manifestList: string;
  readonly dataFile: string;
}

export async function tableFiles(catalogConfig: CatalogConfig, identifier: TableIdentifier): Promise<TableFiles> {
  const catalog = await loadCatalog(catalogConfig);
  try {
    const table = await catalog.loadTable(identifier);
    const plan = await planScan(table);
    return {
      metadata: table.metadataLocation,
      manifestList: currentSnapshot(table.metadata)!.manifestList!,
      dataFile: plan.tasks[0]!.dataFile.filePath,
    };
  } finally {
    await catalog.close();
  }
}

/**
 * The current snapshot's manifest list, found without reading it: a process keeps the lists it
 * has read (they never change under their names), so only a list it has not read shows damage.
 */
export async function currentManifestList(catalogConfig: CatalogConfig, identifier: TableIdentifier): Promise<string> {
  const catalog = await loadCatalog(catalogConfig);
  try {
    return currentSnapshot((await catalog.loadTable(identifier)).metadata)!.manifestList!;
  } finally {
    await catalog.close();
  }
}

/** Runs `damage` on a file for one step, then puts the original back. */
export async function withDamagedFile<T>(
  location: string,
  damage: (bytes: Buffer, file: string) => Promise<void>,
  run: () => Promise<T>,
): Promise<T> {
  const file = localPath(location);
  const original = await readFile(file);
  try {
    await damage(original, file);
    return await run();
  } finally {
    await writeFile(file, original);
  }
}

/** Zeroes bytes 4 to the middle: the magic survives, the pages and footer do not parse. */
export async function zeroMiddle(bytes: Buffer, file: string): Promise<void> {
  const zeroed = Buffer.from(bytes);
  zeroed.fill(0, 4, Math.floor(bytes.length / 2));
  await writeFile(file, zeroed);
}

/** Cuts the last `count` bytes (a Parquet footer) or keeps only the first (`count` < 0: a metadata JSON's start). */
export function truncate(count: number): (bytes: Buffer, file: string) => Promise<void> {
  return (bytes, file) => writeFile(file, count > 0 ? bytes.subarray(0, bytes.length - count) : bytes.subarray(0, -count));
}
