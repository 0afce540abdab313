// services: rest-catalog, python, postgres
/**
 * Concurrency, through each catalog (SQL on SQLite and on Postgres, the REST fixture): 8 writer PROCESSES, each
 * with its own catalog and DuckDB, append 25 times to one table. Every append lands exactly once
 * (pyiceberg counts the rows and distinct ids, the table has 200 snapshots, one per idempotency
 * key), and no commit is lost. Then a writer is SIGKILLed mid-commit — once after its manifest list
 * is written but before the pointer swap, once after the swap landed — and re-run with the same
 * idempotency key: its rows are there exactly once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Catalog, TableIdentifier } from '../../../iceberg/catalog/catalog.js';
import type { CatalogConfig } from '../../../iceberg/catalog/catalog-config.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import { IDEMPOTENCY_KEY_PROPERTY } from '../../../iceberg/commit/table-change.js';
import { jsonRoot } from '../../../iceberg/spec/json.js';
import { parseSchema } from '../../../iceberg/spec/schema-json.js';
import { appendKey, type WriterRequest } from '../../../bench/_iceberg/append-writer.js';
import { sqliteCatalog, type OracleCatalog } from '../../support/pyiceberg.js';
import { freshPostgresDatabase } from '../../support/postgres.js';
import { restCatalogService } from '../../support/services.js';
import { py } from '../../support/interop/pyiceberg-interop.js';
import { floeRestCatalog, oracleRestCatalog } from '../../support/rest-catalog.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const WRITERS = 8;
const APPENDS = 25;
const ROWS_PER_APPEND = 2;
const WRITER_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', '_iceberg', 'append-writer.ts');

/** Generous retries: 8 writers on one table conflict often, and every append must land. */
const TABLE_PROPERTIES = {
  'commit.retry.num-retries': '200',
  'commit.retry.min-wait-ms': '5',
  'commit.retry.max-wait-ms': '500',
  'commit.retry.total-timeout-ms': '600000',
};

const SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'writer', type: 'int', required: true },
    { id: 3, name: 'append', type: 'int', required: true },
    { id: 4, name: 'payload', type: 'string', required: false },
  ],
};

interface WriterLine {
  append?: number;
  snapshotId?: string;
  attempts?: number;
  alreadyCommitted?: boolean;
  paused?: string;
  done?: boolean;
}

interface Writer {
  child: ChildProcess;
  lines: WriterLine[];
  /** Resolves with the first `paused` line, if one comes. */
  paused: Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startWriter(request: WriterRequest, env: Record<string, string> = {}): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx/esm', WRITER_SCRIPT, JSON.stringify(request)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: WriterLine[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));
  let onPaused: () => void = () => undefined;
  const paused = new Promise<void>((resolve) => (onPaused = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line) as WriterLine;
    lines.push(parsed);
    if (parsed.paused !== undefined) onPaused();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, lines, paused, exit };
}

async function finished(writer: Writer, what: string): Promise<WriterLine[]> {
  const { code, signal, stderr } = await writer.exit;
  assert.equal(code, 0, `${what} exited with ${String(code ?? signal)}:\n${stderr}`);
  assert.ok(writer.lines.at(-1)?.done, `${what} did not finish`);
  return writer.lines.filter((line) => line.append !== undefined);
}

interface Case {
  floe: CatalogConfig;
  oracle: OracleCatalog;
  namespace: string;
}

const dir = scratchFolder('interop-concurrency');

function sqlCase(): Case {
  const oracle = sqliteCatalog(dir);
  if (oracle.type !== 'sql') throw new Error('expected a SQL catalog');
  return {
    floe: { type: 'sql', name: 'floe_oracle', uri: join(dir, 'catalog.db'), warehouse: oracle.warehouse, create: true },
    oracle,
    namespace: 'concurrency',
  };
}

/** Each writer process opens its own pool on the shared database, as workers on several hosts would. */
async function postgresCase(): Promise<Case> {
  const url = await freshPostgresDatabase('concurrency');
  const warehouse = pathToFileURL(join(dir, 'postgres-warehouse')).href;
  return {
    floe: { type: 'sql', name: 'floe_oracle', uri: url, warehouse },
    // SQLAlchemy 2.1 takes a bare postgresql:// as psycopg 3; pyiceberg's sql-postgres extra installs psycopg2.
    oracle: { type: 'sql', uri: url.replace(/^postgresql:/, 'postgresql+psycopg2:'), warehouse },
    namespace: 'concurrency',
  };
}

function restCase(): Case {
  const rest = restCatalogService();
  return {
    floe: { ...floeRestCatalog(rest), name: 'rest' },
    oracle: oracleRestCatalog(rest),
    namespace: `concurrency_${randomUUID().slice(0, 8)}`,
  };
}

async function runCase(make: () => Case | Promise<Case>): Promise<void> {
  const { floe, oracle, namespace } = await make();
  const identifier: TableIdentifier = { namespace: [namespace], name: 'appends' };
  const name = `${namespace}.appends`;
  const catalog: Catalog = await loadCatalog(floe);
  try {
    await catalog.createNamespace([namespace]);
    await catalog.createTable(identifier, { schema: parseSchema(SCHEMA, jsonRoot('appends schema')), properties: TABLE_PROPERTIES });
    const keyPrefix = randomUUID().slice(0, 8);
    const request = (writer: number, first: number, count: number): WriterRequest => ({
      catalog: floe,
      identifier,
      writer,
      first,
      count,
      rowsPerAppend: ROWS_PER_APPEND,
      keyPrefix,
    });

    // WRITERS processes × APPENDS appends at once.
    const writers = Array.from({ length: WRITERS }, (_, writer) => startWriter(request(writer, 0, APPENDS)));
    const results = await Promise.all(writers.map((writer, index) => finished(writer, `writer ${index}`)));
    for (const lines of results) {
      assert.equal(lines.length, APPENDS);
      assert.ok(
        lines.every((line) => line.alreadyCommitted === false),
        'no append finds its key before it committed',
      );
    }
    const retried = results.flat().reduce((sum, line) => sum + (line.attempts ?? 1) - 1, 0);
    assert.ok(retried > 0, 'the writers really did race (some commits were retried after a conflict)');

    const total = WRITERS * APPENDS;
    const counted = await py<{ rows: number; distinct: number; snapshots: number }>({
      command: 'count',
      catalog: oracle,
      identifier: name,
    });
    assert.deepEqual(counted, { rows: total * ROWS_PER_APPEND, distinct: total * ROWS_PER_APPEND, snapshots: total });
    const table = await catalog.loadTable(identifier);
    const keys = table.metadata.snapshots.map((snapshot) => snapshot.summary[IDEMPOTENCY_KEY_PROPERTY]);
    assert.equal(new Set(keys).size, total, 'one snapshot per idempotency key');
    const reported = new Set(results.flat().map((line) => line.snapshotId));
    assert.deepEqual(
      [...reported].sort(),
      table.metadata.snapshots.map((snapshot) => String(snapshot.snapshotId)).sort(),
      'every snapshot a writer reported is in the table, and no other',
    );

    // Killed mid-commit, then re-run with the same key.
    for (const [offset, when] of (['before-commit', 'after-commit'] as const).entries()) {
      const writer = WRITERS + offset;
      const key = appendKey({ keyPrefix, writer }, 0);
      const doomed = startWriter(request(writer, 0, 1), { FLOE_TEST_COMMIT_PAUSE: when, FLOE_TEST_COMMIT_PAUSE_KEY: key });
      await Promise.race([
        doomed.paused,
        doomed.exit.then(({ stderr }) => assert.fail(`writer ${writer} exited before pausing:\n${stderr}`)),
      ]);
      doomed.child.kill('SIGKILL');
      const killed = await doomed.exit;
      assert.equal(killed.signal, 'SIGKILL');
      const [retry] = await finished(startWriter(request(writer, 0, 1)), `re-run of writer ${writer}`);
      assert.equal(
        retry!.alreadyCommitted,
        when === 'after-commit',
        `${when}: the re-run ${when === 'after-commit' ? 'finds the landed commit' : 'commits it'}`,
      );
    }
    const afterKills = await py<{ rows: number; distinct: number; snapshots: number }>({
      command: 'count',
      catalog: oracle,
      identifier: name,
    });
    assert.deepEqual(afterKills, { rows: (total + 2) * ROWS_PER_APPEND, distinct: (total + 2) * ROWS_PER_APPEND, snapshots: total + 2 });
  } finally {
    await catalog.close();
  }
}

describe(`${WRITERS} concurrent writer processes × ${APPENDS} appends, and a killed commit re-run`, () => {
  test('SQL catalog (SQLite)', async () => {
    await runCase(sqlCase);
  });

  test('SQL catalog (Postgres)', async () => {
    await runCase(postgresCase);
  });

  test('REST catalog fixture', async () => {
    await runCase(restCase);
  });
});
