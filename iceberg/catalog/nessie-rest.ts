/**
 * What Project Nessie's Iceberg REST API (0.99) needs from a client beyond the spec, found by
 * running Floe against it. Nessie keeps a table's history in its own commit log: the metadata it
 * serves holds only the current snapshot, without its parent, so the branch's ancestors — where
 * Floe looks for a change's idempotency key, and what an incremental scan walks — would be that one
 * snapshot. And it does not enforce `assert-ref-snapshot-id` with a null id (the branch has no
 * snapshot yet): two first commits to an empty table would both land, the second replacing the first.
 *
 * So against a server whose config says `nessie.is-nessie-catalog`, the client
 *  - rebuilds the branch's recent ancestry from Nessie's commit log (the table's last
 *    HISTORY_COMMITS commits, each naming the metadata file Nessie wrote for it), relinking each
 *    snapshot to the one before it, and
 *  - sends a commit that requires an empty branch against the Nessie commit it checked that on
 *    (`<ref>@<hash>` in the prefix), which Nessie refuses with 409 if the table changed since.
 */
import { LRUCache } from 'lru-cache';
import { FloeError } from '../../core/errors.js';
import type { LoadedTable } from './catalog.js';
import type { TableRequirement } from '../table-updates/updates.js';
import type { FileIO } from '../io/file-io.js';
import { arrayOf, asLong, asObject, asString, jsonRoot, optional, required } from '../spec/json.js';
import type { JsonAt } from '../spec/json.js';
import { parseTableMetadata } from '../spec/metadata-json.js';
import type { TableMetadata } from '../spec/metadata.js';
import type { Snapshot } from '../spec/snapshot.js';
import type { RestHttp } from './rest-http.js';

/** How many of a table's latest Nessie commits are read back into its snapshots. */
export const HISTORY_COMMITS = 100;

export interface NessieServer {
  /** Nessie's own API (`nessie.core-base-uri`), where its commit log is. */
  readonly coreBaseUri: string;
  /** The Nessie reference the catalog's prefix names (`main`). */
  readonly ref: string;
  /** The warehouse the prefix names, if any. */
  readonly warehouse: string | undefined;
}

/** The Nessie server behind a REST catalog's merged config, or undefined for any other server. */
export function nessieServer(properties: Readonly<Record<string, string>>): NessieServer | undefined {
  const coreBaseUri = properties['nessie.core-base-uri'];
  if (properties['nessie.is-nessie-catalog'] !== 'true' || coreBaseUri === undefined) return undefined;
  // The prefix is `{ref}|{warehouse}` (nessie.prefix-pattern), sent url-encoded.
  const [ref, warehouse] = decodeURIComponent(properties['prefix'] ?? '').split('|');
  return { coreBaseUri, ref: ref || (properties['nessie.default-branch.name'] ?? 'main'), warehouse };
}

/** What RestCatalog does beyond the spec against a Nessie server. */
export class NessieRest {
  /** The snapshot each metadata file Nessie wrote holds: its files never change. */
  private readonly snapshots = new LRUCache<string, { readonly snapshot: Snapshot | undefined }>({ max: 10_000 });

  constructor(
    private readonly server: NessieServer,
    private readonly core: RestHttp,
  ) {}

  /** The table with its branch head's recent ancestors read back from Nessie's commit log. */
  async withHistory(loaded: LoadedTable): Promise<LoadedTable> {
    const headId = loaded.metadata.currentSnapshotId;
    if (headId === null || headId === undefined || headId < 0n) return loaded;
    const states = await nessieTableStates(this.core, this.server, [...loaded.identifier.namespace, loaded.identifier.name]);
    const history: (Snapshot | undefined)[] = [];
    for (const state of states) {
      const cached = this.snapshots.get(state.metadataLocation);
      const snapshot = cached === undefined ? await stateSnapshot(loaded.io, state) : cached.snapshot;
      if (cached === undefined) this.snapshots.set(state.metadataLocation, { snapshot });
      history.push(snapshot);
      if (snapshot === undefined) break;
    }
    return { ...loaded, metadata: withAncestry(loaded.metadata, headId, history) };
  }

  /**
   * For a commit that requires its branch to have no snapshot (which Nessie does not check): the
   * prefix pinned to the Nessie commit of the table's current state, once that state is checked to
   * have none — Nessie answers 409 if the table changed since. Undefined for any other commit.
   */
  async pinnedPrefix(
    table: string,
    requirements: readonly TableRequirement[],
    loadCurrent: () => Promise<LoadedTable>,
  ): Promise<string | undefined> {
    const empty = requirements.find((requirement) => requirement.type === 'assert-ref-snapshot-id' && requirement.snapshotId === null);
    if (empty?.type !== 'assert-ref-snapshot-id') return undefined;
    const current = await loadCurrent();
    const head = current.metadata.refs[empty.ref]?.snapshotId;
    if (head !== undefined && head >= 0n)
      throw new FloeError(
        'commit-conflict',
        `Could not commit to table ${table}: the commit requires branch ${empty.ref} to have no snapshot, but it is at snapshot ${head}`,
        { context: { table } },
      );
    const hash = current.metadata.properties['nessie.commit.id'];
    if (hash === undefined)
      throw new FloeError('catalog', `Could not commit to table ${table}: Nessie's table metadata names no nessie.commit.id to pin it to`, {
        context: { table },
      });
    return prefixAtCommit(this.server, hash);
  }
}

/** The catalog prefix pinned to one Nessie commit: changes to the table after it make a commit a 409. */
export function prefixAtCommit(server: NessieServer, hash: string): string {
  return encodeURIComponent(`${server.ref.split('@')[0]}@${hash}${server.warehouse === undefined ? '' : `|${server.warehouse}`}`);
}

/** One of the table's states in Nessie's commit log, newest first. */
export interface NessieTableState {
  readonly metadataLocation: string;
  /** -1 when the state has no snapshot. */
  readonly snapshotId: bigint;
}

/** The table's latest states on the server's reference, newest first (at most HISTORY_COMMITS). */
export async function nessieTableStates(core: RestHttp, server: NessieServer, contentKey: readonly string[]): Promise<NessieTableState[]> {
  const key = contentKey.join('.');
  const response = await core.send({
    method: 'GET',
    path: `/v2/trees/${encodeURIComponent(server.ref)}/history`,
    query: {
      filter: `operations.exists(op, op.key == ${celString(key)})`,
      fetch: 'ALL',
      maxRecords: String(HISTORY_COMMITS),
    },
    what: `read the Nessie commit log of table ${key}`,
    context: { table: key },
  });
  const at = jsonRoot(`Nessie commit log of ${key} (${response.source})`);
  const entries = required(asObject(response.json, at), 'logEntries', at, arrayOf(logEntry(key)));
  return entries.flat().slice(0, HISTORY_COMMITS);
}

function logEntry(key: string): (value: unknown, at: JsonAt) => NessieTableState[] {
  return (value, at) => {
    const operations = optional(asObject(value, at), 'operations', at, arrayOf(asObject)) ?? [];
    return operations.flatMap((operation) => {
      const content = operation['content'];
      const elements = asObject(operation['key'] ?? {}, at)['elements'];
      if (operation['type'] !== 'PUT' || content === undefined || !Array.isArray(elements) || elements.join('.') !== key) return [];
      const table = asObject(content, at);
      return [
        {
          metadataLocation: required(table, 'metadataLocation', at, asString),
          snapshotId: optional(table, 'snapshotId', at, asLong) ?? -1n,
        },
      ];
    });
  };
}

/** A string literal of Nessie's CEL filters. */
function celString(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Reads the snapshot a state names from the metadata file Nessie wrote for it; undefined when it has none. */
export async function stateSnapshot(io: FileIO, state: NessieTableState): Promise<Snapshot | undefined> {
  if (state.snapshotId < 0n) return undefined;
  const text = new TextDecoder().decode(await io.read(state.metadataLocation));
  const snapshot = parseTableMetadata(text, state.metadataLocation).snapshots.find((each) => each.snapshotId === state.snapshotId);
  if (snapshot === undefined)
    throw new FloeError('corrupt', `Nessie's metadata file ${state.metadataLocation} does not hold snapshot ${state.snapshotId}`, {
      context: { location: state.metadataLocation },
    });
  return snapshot;
}

/**
 * The metadata with the branch head's ancestry restored: `history` holds the snapshots of the
 * table's earlier states, newest first (a state that kept the snapshot before it, such as a
 * property change, repeats it). Each snapshot's parent becomes the one before it; a snapshot the
 * metadata already holds is kept as it is, and the walk stops at a snapshot seen before (a rollback).
 */
export function withAncestry(metadata: TableMetadata, headId: bigint, history: readonly (Snapshot | undefined)[]): TableMetadata {
  const held = new Map(metadata.snapshots.map((snapshot) => [snapshot.snapshotId, snapshot]));
  const head = held.get(headId);
  if (head === undefined) return metadata;
  const line: Snapshot[] = [head];
  for (const snapshot of history) {
    if (snapshot === undefined) break; // the table had no snapshot then: the line starts after it
    const last = line[line.length - 1]!;
    if (snapshot.snapshotId === last.snapshotId) continue;
    if (line.some((each) => each.snapshotId === snapshot.snapshotId)) break;
    line.push(held.get(snapshot.snapshotId) ?? snapshot);
  }
  const relinked = line.map((snapshot, index) => {
    const parent = line[index + 1]?.snapshotId ?? null;
    // A parent the server kept, or none known: leave the snapshot as it is.
    if (snapshot.parentSnapshotId !== null && held.has(snapshot.parentSnapshotId)) return snapshot;
    return parent === null ? snapshot : { ...snapshot, parentSnapshotId: parent };
  });
  const byId = new Map([...held, ...relinked.map((snapshot) => [snapshot.snapshotId, snapshot] as const)]);
  return { ...metadata, snapshots: [...byId.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber) };
}

/**
 * Whether two load responses describe the same table and config. Floe signs its own S3 requests and
 * never uses a remote signer, so a signer endpoint that changes on every load (Nessie's carries a
 * fresh token) does not make the load new.
 */
export function sameLoad(before: string, after: string): boolean {
  if (before === after) return true;
  const withoutSigner = (text: string): string => text.replace(/"s3\.signer\.endpoint"\s*:\s*"[^"]*"/g, '""');
  return withoutSigner(before) === withoutSigner(after);
}
