/**
 * What a Floe process keeps between calls: parsed metadata, decoded manifests, compiled Avro types
 * and local copies of files, and the one scratch root under which every local folder lives
 * (DuckDB's spill files, the object-storage file cache, decoded deletion vectors, writers' scratch
 * space). The runtime makes one from floe.yaml's `workDirectory` and hands it to the catalog and
 * engine it opens; a catalog or engine built without one makes its own. Nothing here is
 * module-level: two catalogs given different objects share nothing.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type avro from 'avsc';
import { LRUCache } from 'lru-cache';
import type { FileIO } from './io/file-io.js';
import { LocalFileCache } from './io/local-cache.js';
import type { TableMetadata } from './spec/metadata.js';

/** How much a folder of decoded deletion vectors holds before the least recently used go. */
export const DELETION_VECTOR_CACHE_BYTES = 1024 ** 3;

/** The bound of one FileIO's decoded manifests and manifest lists, in the files' Avro bytes. */
const DECODED_FILES_MAX_BYTES = 32 * 1024 * 1024;

export interface ParsedMetadata {
  readonly bytes: Uint8Array;
  readonly metadata: TableMetadata;
}

export interface DecodedFile {
  readonly value: unknown;
  /** The file's size in bytes, its weight in the cache. */
  readonly bytes: number;
}

/** How a decoded file is read when the cache does not hold it. */
export interface DecodedFileRead {
  readonly io: FileIO;
  readonly location: string;
  readonly decode: (bytes: Uint8Array) => unknown;
}

export type DecodedFiles = LRUCache<string, DecodedFile, DecodedFileRead>;

/** The local folders of a process, all under one scratch root. */
export interface ScratchFolders {
  /** The one folder every local folder below derives from. */
  readonly scratchRoot: string;
  /** Where DuckDB spills big joins and sorts (unless floe.yaml's `engine.tempDirectory` names another). */
  readonly spillDirectory: string;
  /** Files read from object storage, kept for DuckDB to read as local paths (unless `floe.io.cache-dir` names another). */
  readonly fileCacheDirectory: string;
  /** Decoded deletion vectors (engine/deletes/deletion-vectors.ts). */
  readonly deletionVectorDirectory: string;
}

/**
 * The folders under `scratchRoot`, a project's work directory; without one, a `floe` folder in the
 * OS temp folder, shared by every process like the folders it replaces, except DuckDB's spill
 * folder, which DuckDB removes when it closes and so is this process's own.
 */
export function scratchFolders(scratchRoot?: string): ScratchFolders {
  const root = scratchRoot ?? join(tmpdir(), 'floe');
  return {
    scratchRoot: root,
    spillDirectory: join(root, scratchRoot === undefined ? `duckdb-spill-${process.pid}` : 'duckdb-spill'),
    fileCacheDirectory: join(root, 'file-cache'),
    deletionVectorDirectory: join(root, 'deletion-vectors'),
  };
}

export class ProcessCaches implements ScratchFolders {
  readonly scratchRoot: string;
  readonly spillDirectory: string;
  readonly fileCacheDirectory: string;
  readonly deletionVectorDirectory: string;

  /**
   * Metadata parsed before, by location, with the bytes it was parsed from
   * (catalog/metadata-files.ts). Weighed by the file's bytes; the parsed metadata beside them takes
   * a few times as much.
   */
  readonly tableMetadata = new LRUCache<string, ParsedMetadata>({
    maxSize: 16 * 1024 * 1024,
    sizeCalculation: (entry) => Math.max(1, entry.bytes.byteLength),
  });

  /** Compiled Avro types by schema text (spec/avro/container.ts). */
  readonly avroTypes = new LRUCache<string, avro.Type>({ max: 64 });

  private readonly decodedFiles = new WeakMap<FileIO, DecodedFiles>();
  /** One cache per folder, so each knows which of its files are in use. */
  private readonly localFiles = new Map<string, LocalFileCache>();

  /** `scratchRoot`: see {@link scratchFolders}. */
  constructor(scratchRoot?: string) {
    const folders = scratchFolders(scratchRoot);
    this.scratchRoot = folders.scratchRoot;
    this.spillDirectory = folders.spillDirectory;
    this.fileCacheDirectory = folders.fileCacheDirectory;
    this.deletionVectorDirectory = folders.deletionVectorDirectory;
  }

  /**
   * Manifests and manifest lists decoded for planning (scan/manifest-cache.ts), kept per FileIO
   * (one per catalog configuration); least recently used out first. `fetch()` shares one read
   * between concurrent callers and keeps nothing when the read fails.
   */
  decodedFilesOf(io: FileIO): DecodedFiles {
    let cache = this.decodedFiles.get(io);
    if (cache === undefined) {
      cache = new LRUCache<string, DecodedFile, DecodedFileRead>({
        maxSize: DECODED_FILES_MAX_BYTES,
        sizeCalculation: (decoded) => Math.max(1, decoded.bytes),
        fetchMethod: async (_, __, { context }) => {
          const bytes = await context.io.read(context.location);
          return { value: context.decode(bytes), bytes: bytes.byteLength };
        },
      });
      this.decodedFiles.set(io, cache);
    }
    return cache;
  }

  /** The decoded deletion vectors kept in `directory` (the scratch root's unless told), at most 1 GiB. */
  deletionVectors(directory: string = this.deletionVectorDirectory): LocalFileCache {
    let cache = this.localFiles.get(directory);
    if (cache === undefined) this.localFiles.set(directory, (cache = new LocalFileCache(directory, DELETION_VECTOR_CACHE_BYTES)));
    return cache;
  }
}
