/**
 * Runs Java Iceberg 1.10 (test/oracles/java, floe.oracle.JavaOracle): the reference
 * implementation as a second, independent oracle beside pyiceberg. One JSON request in, one JSON
 * reply out; values follow the pyiceberg oracle's conventions (longs and snapshot ids as strings,
 * timestamps ISO UTC with µs, binary as base64), so rows from either compare as they are.
 *
 *   runJavaOracle('read', { catalog, identifier })   one JVM per request (the tool's plain mode)
 *   const java = openJavaOracle(); await java.run(…)  one JVM for many requests (`--serve`)
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { JAVA_ORACLE_MAIN_CLASS, javaOracleJvmOptions } from '../../scripts/services/java-oracle.js';
import type { OracleCatalog } from './pyiceberg.js';
import { javaOracleService, type JavaOracleService } from './services.js';
import { defined } from '../../contracts/defined.js';

export interface S3Access {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * A SQL catalog is Iceberg's JdbcCatalog (schema V1: the tables pyiceberg's SqlCatalog and Floe's
 * SQL catalog share); rows are keyed by `name`, default `floe_oracle` like the pyiceberg oracle.
 */
export type JavaCatalog =
  | { type: 'sql'; uri: string; warehouse: string; name?: string; s3?: S3Access }
  | { type: 'rest'; uri: string; warehouse?: string; name?: string; s3: S3Access };

/** A JdbcCatalog on SQLite in a folder: `<dir>/catalog.db`, warehouse `file://<dir>/warehouse`. */
export function javaSqliteCatalog(dir: string): JavaCatalog {
  return { type: 'sql', uri: `jdbc:sqlite:${join(dir, 'catalog.db')}`, warehouse: `file://${join(dir, 'warehouse')}` };
}

/** The same catalog as the pyiceberg oracle opens it (its SqlCatalog takes an SQLAlchemy URL). */
export function asPyicebergCatalog(catalog: JavaCatalog): OracleCatalog {
  if (catalog.name !== undefined && catalog.name !== 'floe_oracle') {
    throw new Error(`the pyiceberg oracle always opens its catalog as "floe_oracle", so it cannot see tables of catalog "${catalog.name}"`);
  }
  if (catalog.type === 'rest') return { type: 'rest', uri: catalog.uri, ...defined({ warehouse: catalog.warehouse }), s3: catalog.s3 };
  const match = /^jdbc:sqlite:(\/.+)$/.exec(catalog.uri);
  if (!match?.[1]) throw new Error(`only an absolute jdbc:sqlite: URI maps to pyiceberg's SqlCatalog, got ${catalog.uri}`);
  return { type: 'sql', uri: `sqlite:///${match[1]}`, warehouse: catalog.warehouse };
}

// ------------------------------------------------------------------ replies

/** A data (content 0), position delete (1) or equality delete (2) file. */
export interface JavaFile {
  content: 0 | 1 | 2;
  file_path: string;
  /** PUFFIN for a deletion vector (format v3). */
  file_format: 'PARQUET' | 'AVRO' | 'ORC' | 'PUFFIN';
  spec_id: number;
  /** Partition values in Iceberg's internal form (days, µs, bucket numbers); longs as strings. */
  partition: Record<string, unknown>;
  /** Java's partition path, e.g. `id_bucket=3`. */
  partition_path: string;
  record_count: number;
  file_size_in_bytes: number;
  /** Null on files a write just produced (the reply's `sequence_number` is theirs); set by inspect. */
  data_sequence_number: number | null;
  file_sequence_number: number | null;
  equality_field_ids: number[];
  referenced_data_file: string | null;
  /** A deletion vector's blob offset and length in its Puffin file; null for other files. */
  content_offset: number | null;
  content_size_in_bytes: number | null;
  /** On files `append` / `row_delta` wrote: the indexes of the request's rows, in file order. */
  rows?: number[];
}

export interface JavaTableState {
  metadata_location: string;
  snapshot_id: string | null;
  sequence_number: number | null;
}

export interface JavaWriteReply extends JavaTableState {
  data_files: JavaFile[];
  /** Row deltas: the delete files the commit added ... */
  delete_files?: JavaFile[];
  /** ... and those it removed: a v3 data file's older deletion vector, merged into its new one. */
  removed_delete_files?: JavaFile[];
}

export interface JavaRowsReply {
  rows: Record<string, unknown>[];
  columns: string[];
}

export interface JavaSnapshot {
  snapshot_id: string;
  parent_snapshot_id: string | null;
  sequence_number: number;
  timestamp_ms: number;
  operation: string;
  schema_id: number | null;
  manifest_list: string;
  summary: Record<string, string>;
}

export interface JavaScanTask {
  data_file: string;
  /**
   * The delete files Java's own planner applies to this data file: the spec's candidates (by
   * partition and sequence number) narrowed by column bounds, so an equality delete whose values
   * lie outside the file's min/max, or a position delete whose file_path bounds exclude the
   * file, is left out although the spec's rules alone would keep it.
   */
  delete_files: string[];
}

export interface JavaInspectReply {
  metadata_location: string;
  format_version: number;
  current_snapshot_id: string | null;
  /** The snapshot the files and scan tasks describe (the current one unless snapshot_id was given). */
  snapshot_id: string | null;
  last_sequence_number: number;
  schema: Record<string, unknown>;
  partition_spec: Record<string, unknown>;
  properties: Record<string, string>;
  snapshots: JavaSnapshot[];
  files: JavaFile[];
  scan_tasks: JavaScanTask[];
}

export interface JavaMetadataReply {
  metadata_location: string;
  metadata_json: string;
  metadata: Record<string, unknown>;
}

/** Each command's reply; see the Java class named in the comment for its arguments. */
export interface JavaReplies {
  create_table: JavaTableState; // Tables.create
  add_column: JavaTableState; // Tables.addColumn
  rename_column: JavaTableState;
  drop_column: JavaTableState;
  set_properties: JavaTableState;
  append: JavaWriteReply; // Writes.append
  delete_positions: JavaWriteReply; // Writes.rowDelta
  delete_equality: JavaWriteReply;
  row_delta: JavaWriteReply;
  read: JavaRowsReply; // Inspect.read
  inspect: JavaInspectReply; // Inspect.inspect
  load_metadata: JavaMetadataReply; // Tables.loadMetadata
  add_column_with_default: JavaTableState; // V3Columns.addColumnWithDefault
  rewrite_with_lineage: JavaWriteReply; // V3Columns.rewriteWithLineage
  read_with_lineage: JavaRowsReply; // V3Columns.readWithLineage
}
export type JavaCommand = keyof JavaReplies;
export type JavaRequest = { catalog: JavaCatalog } & Record<string, unknown>;

// ------------------------------------------------------------------ running it

function javaArgs(service: JavaOracleService, mode: readonly string[]): string[] {
  return [...javaOracleJvmOptions(service.archive), '-cp', service.classpath, JAVA_ORACLE_MAIN_CLASS, ...mode];
}

/** One request in its own JVM. */
export async function runJavaOracle<C extends JavaCommand>(
  command: C,
  args: JavaRequest,
  service: JavaOracleService = javaOracleService(),
): Promise<JavaReplies[C]> {
  const request = JSON.stringify({ command, ...args });
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise, reject) => {
    const child = spawn(service.java, javaArgs(service, []), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.once('error', (error) =>
      reject(new Error(`the Java oracle could not be started with ${service.java}: ${error.message}`, { cause: error })),
    );
    child.once('close', (exitCode) => resolvePromise({ code: exitCode, stdout: out, stderr: err }));
    child.stdin.end(request);
  });
  if (code !== 0)
    throw new Error(`Java oracle command "${command}" failed (exit ${String(code)}).\nrequest: ${redact(request)}\nstderr:\n${stderr}`);
  try {
    return JSON.parse(stdout) as JavaReplies[C];
  } catch (error) {
    throw new Error(`Java oracle command "${command}" printed something that is not JSON:\n${stdout}\nstderr:\n${stderr}`, {
      cause: error,
    });
  }
}

export interface JavaOracleSession {
  run<C extends JavaCommand>(command: C, args: JavaRequest): Promise<JavaReplies[C]>;
  close(): Promise<void>;
}

interface ServeReply {
  ok: boolean;
  reply?: unknown;
  error?: string;
  trace?: string;
}

/** One JVM (`--serve`) answering requests in order; close it in a `finally` / `after`. */
export function openJavaOracle(service: JavaOracleService = javaOracleService()): JavaOracleSession {
  const child: ChildProcessWithoutNullStreams = spawn(service.java, javaArgs(service, ['--serve']), { stdio: ['pipe', 'pipe', 'pipe'] });
  const pending: { command: string; request: string; resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  let stderrTail = '';
  let ended: Error | undefined;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-8_000)));
  // Writing to a JVM that died fails with EPIPE; the 'close' handler below reports why it died.
  child.stdin.on('error', () => undefined);
  const fail = (error: Error): void => {
    ended ??= error;
    for (const waiting of pending.splice(0))
      waiting.reject(
        new Error(`Java oracle command "${waiting.command}": ${error.message}\nrequest: ${redact(waiting.request)}`, { cause: error }),
      );
  };
  child.once('error', (error) =>
    fail(new Error(`the Java oracle could not be started with ${service.java}: ${error.message}`, { cause: error })),
  );
  child.once('close', (code) => fail(new Error(`the Java oracle session ended (exit ${String(code)}); stderr:\n${stderrTail}`)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiting = pending.shift();
    if (waiting === undefined) return;
    let reply: ServeReply;
    try {
      reply = JSON.parse(line) as ServeReply;
    } catch {
      waiting.reject(
        new Error(`Java oracle command "${waiting.command}" printed something that is not JSON:\n${line}\nstderr:\n${stderrTail}`),
      );
      return;
    }
    if (reply.ok) waiting.resolve(reply.reply);
    else
      waiting.reject(
        new Error(
          `Java oracle command "${waiting.command}" failed: ${reply.error ?? '(no message)'}\nrequest: ${redact(waiting.request)}\n${reply.trace ?? ''}`,
        ),
      );
  });
  return {
    run: <C extends JavaCommand>(command: C, args: JavaRequest): Promise<JavaReplies[C]> => {
      const request = JSON.stringify({ command, ...args });
      if (ended !== undefined) return Promise.reject(new Error(`Java oracle command "${command}": ${ended.message}`));
      return new Promise<JavaReplies[C]>((resolve, reject) => {
        pending.push({ command, request, resolve: resolve as (value: unknown) => void, reject });
        child.stdin.write(`${request}\n`);
      });
    },
    close: async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const closed = new Promise<void>((resolvePromise) => child.once('close', () => resolvePromise()));
      child.stdin.end();
      await closed;
    },
  };
}

function redact(request: string): string {
  return request.replace(/"secretAccessKey":"[^"]*"/g, '"secretAccessKey":"***"');
}
