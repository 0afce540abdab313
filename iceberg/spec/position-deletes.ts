/**
 * What a position delete file's manifest entry says about the data files it names (spec: "Position
 * Delete Files", "Scan Planning"): its `referenced_data_file`, else the bounds of its `file_path`
 * column. Writers keep that column's bounds whole (Java's MetricsConfig for position deletes), and a
 * truncated upper bound is always past its lower one, so equal bounds name the one file it holds.
 */
import type { DataFile } from './manifest.js';
import { compareUnsignedBytes } from './value-order.js';

/** Reserved field ids of a position delete file's columns (spec: "Reserved Field IDs"). */
export const POSITION_DELETE_FILE_PATH_FIELD_ID = 2147483546;
export const POSITION_DELETE_POS_FIELD_ID = 2147483545;

/** Whether the delete file may hold deletes of the data file at `dataPath`. */
export function mayReferencePath(deleteFile: DataFile, dataPath: string): boolean {
  const only = onlyReferencedPath(deleteFile);
  if (only !== undefined) return only === dataPath;
  const lower = deleteFile.lowerBounds?.get(POSITION_DELETE_FILE_PATH_FIELD_ID);
  const upper = deleteFile.upperBounds?.get(POSITION_DELETE_FILE_PATH_FIELD_ID);
  if (lower === undefined && upper === undefined) return true;
  const path = encoder.encode(dataPath);
  if (lower !== undefined && compareUnsignedBytes(lower, path) > 0) return false;
  if (upper !== undefined && compareUnsignedBytes(path, upper) > 0) return false;
  return true;
}

/** The one data file every delete of the file names, when its entry says so; undefined when it may name several. */
export function onlyReferencedPath(deleteFile: DataFile): string | undefined {
  let path = referencedPaths.get(deleteFile);
  if (path === undefined) {
    path = referencedPathOf(deleteFile) ?? null;
    referencedPaths.set(deleteFile, path);
  }
  return path ?? undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** Answers already given, by delete file: a cached manifest's files are planned again and again. */
const referencedPaths = new WeakMap<DataFile, string | null>();

function referencedPathOf(deleteFile: DataFile): string | undefined {
  if (deleteFile.referencedDataFile != null) return deleteFile.referencedDataFile;
  const lower = deleteFile.lowerBounds?.get(POSITION_DELETE_FILE_PATH_FIELD_ID);
  const upper = deleteFile.upperBounds?.get(POSITION_DELETE_FILE_PATH_FIELD_ID);
  if (lower === undefined || upper === undefined || compareUnsignedBytes(lower, upper) !== 0) return undefined;
  try {
    return decoder.decode(lower);
  } catch {
    // Not UTF-8, so not a whole path: the bounds test in mayReferencePath still applies.
    return undefined;
  }
}
