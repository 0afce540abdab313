// services: python
// A training set's chunks read only the source files their entity rows can need (issue 56): with
// sources written by pyiceberg, bucketed by the join key and not (each append a key range, so file
// key bounds are tight, or a time range of any key), chunked by key bucket, key range, finer key
// buckets through the exchange step, or position, the training set equals one unpruned retrieval
// over all the entity rows; and on a bucketed source, on a source sorted by the key, and through the
// exchange on a source laid out by neither, ≥ 4 chunks together read at most 1.5× one pass over it,
// by the read plans' record counts and file sizes.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { quoteLiteral } from '../../../engine/sql.js';
import { scanTable } from '../../../engine/read/table-reader.js';
import type { FeatureContext } from '../../../features/context.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import type { ChunkResult, ExchangedView, TrainingSetPlan, TrainingSetRequest } from '../../../features/training-set/index.js';
import {
  commitTrainingSet,
  exchangeViewRows,
  planTrainingSet,
  stagingRoot,
  writeTrainingSetChunk,
} from '../../../features/training-set/index.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import type { PyicebergStep } from '../../support/pyiceberg.js';
import { runPyicebergBatch, sqliteCatalog } from '../../support/pyiceberg.js';
import type { Definition } from '../../../features/registry.js';
import { loadCatalog } from '../../../iceberg/catalog/load-catalog.js';
import type { Workspace } from '../../support/features/tables.js';
import { withWorkspace } from '../../support/features/tables.js';
import { defined } from '../../../contracts/defined.js';

/** The workspace's context over its SQLite catalog as pyiceberg names it (`floe_oracle`), so Floe sees pyiceberg's tables. */
async function withPyicebergCatalog<T>(
  workspace: Workspace,
  definitions: readonly Definition[],
  fn: (context: FeatureContext) => Promise<T>,
): Promise<T> {
  const catalog = await loadCatalog({
    type: 'sql',
    name: 'floe_oracle',
    uri: path.join(workspace.directory, 'catalog.db'),
    warehouse: path.join(workspace.directory, 'warehouse'),
  });
  try {
    return await fn({ ...workspace.context(definitions), catalog });
  } finally {
    await catalog.close();
  }
}

const BASE_SECONDS = 1_714_000_000;
const iso = (minute: number): string => new Date((BASE_SECONDS + minute * 60) * 1000).toISOString();

interface SourceRow {
  readonly driver: number;
  readonly minute: number;
  readonly amount: number;
}
interface EntityRow {
  readonly driver: number | null;
  readonly minute: number;
}

const SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'driver_id', type: 'long', required: false },
    { id: 2, name: 'ts', type: 'timestamptz', required: false },
    { id: 3, name: 'amount', type: 'long', required: false },
  ],
};
const COLUMNS = { driver_id: 'long', ts: 'timestamptz', amount: 'long' };
const ENTITY_SCHEMA = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'request_id', type: 'long', required: false },
    { id: 2, name: 'driver_id', type: 'long', required: false },
    { id: 3, name: 'event_timestamp', type: 'timestamptz', required: false },
  ],
};

/**
 * Writes `src.<name>` with pyiceberg: bucket[buckets] of driver_id, or unpartitioned with one
 * append per key range (`sorted`) or per time range (`timed`: every file holds any key).
 */
async function writeSource(
  workspace: Workspace,
  name: string,
  rows: readonly SourceRow[],
  layout: { buckets: number } | 'sorted' | 'timed',
  appends: number,
) {
  const catalog = sqliteCatalog(workspace.directory);
  const identifier = `src.${name}`;
  const spec =
    typeof layout === 'string'
      ? undefined
      : { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, transform: `bucket[${layout.buckets}]`, name: 'driver_bucket' }] };
  const steps: PyicebergStep[] = [
    { command: 'create_table', args: { catalog, identifier, schema: SCHEMA, ...defined({ partition_spec: spec }) } },
  ];
  // Sorted: each append holds a range of keys (tight key bounds per file); otherwise a range of times, of any key.
  const ordered = [...rows].sort((a, b) => (layout === 'sorted' ? a.driver - b.driver : a.minute - b.minute));
  const size = Math.ceil(ordered.length / appends);
  for (let from = 0; from < ordered.length; from += size) {
    const batch = ordered.slice(from, from + size);
    steps.push({
      command: 'append',
      args: {
        catalog,
        identifier,
        columns: COLUMNS,
        rows: batch.map((row) => ({ driver_id: row.driver, ts: iso(row.minute), amount: row.amount })),
      },
    });
  }
  await runPyicebergBatch(steps);
}

async function writeEntities(workspace: Workspace, file: string, rows: readonly EntityRow[]): Promise<void> {
  const values = rows.map(
    (row, index) =>
      `(${index}::BIGINT, ${row.driver === null ? 'NULL' : String(row.driver)}::BIGINT, TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_seconds(${BASE_SECONDS + row.minute * 60}::BIGINT))`,
  );
  await workspace.engine.withConnection((connection) =>
    connection.run(
      `COPY (SELECT * FROM (VALUES ${values.join(', ')}) AS t(request_id, driver_id, event_timestamp)) TO ${quoteLiteral(file)} (FORMAT parquet)`,
    ),
  );
}

function definitions(sources: readonly string[]) {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    ...sources.flatMap((name, index) => [
      defineIcebergSource({ name: `${name}_source`, table: `src.${name}`, timestampField: 'ts' }),
      defineFeatureView({
        name,
        entities: ['driver'],
        source: `${name}_source`,
        // One view with a TTL, so a chunk's time range is its own rows' less the TTL.
        ...(index === 0 ? { ttl: { minutes: 90 } } : {}),
        features: [{ name: 'amount', type: 'long' }],
      }),
    ]),
  ];
}

/** The trainingSet workflow's steps, run as a library: the exchange step when planned, then one chunk after another. */
async function runTrainingSet(
  context: FeatureContext,
  request: TrainingSetRequest,
  chunkRows: number,
): Promise<{ plan: TrainingSetPlan; exchanged: ExchangedView[]; chunks: ChunkResult[]; rows: string[] }> {
  const key = `ts-${request.output.table}`;
  const plan = await planTrainingSet(context, request, { key, chunkRows });
  const exchanged: ExchangedView[] = [];
  for (const view of plan.exchange?.views ?? [])
    exchanged.push(await exchangeViewRows(context, request, { key, exchange: plan.exchange!, view, attempt: 1 }));
  const chunks: ChunkResult[] = [];
  for (const chunk of plan.chunks) {
    const own = exchanged.map((view) => ({ ...view, files: view.files.filter((file) => file.chunk === chunk.index) }));
    chunks.push(
      await writeTrainingSetChunk(context, request, {
        key,
        chunk,
        entitySnapshotId: plan.entitySnapshotId,
        ...(exchanged.length > 0 ? { exchanged: own } : {}),
        attempt: 1,
      }),
    );
  }
  await commitTrainingSet(context, request, { key, chunks });
  const table = await context.catalog.loadTable(parseTableIdentifier(request.output.table));
  const scan = await scanTable(table);
  const rows = await context.engine.withConnection(async (connection) =>
    (await connection.runAndReadAll(`SELECT * FROM (${scan.sql}) ORDER BY request_id`)).getRowsJS(),
  );
  return { plan, exchanged, chunks, rows: rows.map(rowText) };
}

/** One retrieval over all the entity rows, pruned by nothing but their whole time range. */
async function unpruned(context: FeatureContext, file: string, features: readonly string[], fullFeatureNames = false): Promise<string[]> {
  const job = getHistoricalFeatures(context, { entities: { parquet: [file] }, features, fullFeatureNames, keyPruningLimit: 0 });
  return job.run(async (connection, query) =>
    (await connection.runAndReadAll(`SELECT * FROM (${query}) ORDER BY request_id`)).getRowsJS().map(rowText),
  );
}

/** A row as text: longs exact, instants as ISO text. */
function rowText(row: readonly unknown[]): string {
  return JSON.stringify(row, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
}

const sourceRows = (drivers: number) =>
  fc.array(
    fc.record({
      driver: fc.integer({ min: 1, max: drivers }),
      minute: fc.integer({ min: 0, max: 600 }),
      amount: fc.integer({ min: 0, max: 99 }),
    }),
    { minLength: 1, maxLength: 60 },
  );
const entityRows = (drivers: number) =>
  fc.array(
    fc.record({
      driver: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: drivers + 3 }) }, { weight: 1, arbitrary: fc.constant(null) }),
      minute: fc.integer({ min: 0, max: 700 }),
    }),
    { minLength: 1, maxLength: 40 },
  );

describe('training set chunks pruned by time and key', () => {
  test('equal one unpruned retrieval, with pyiceberg-written sources bucketed by the key and not (property)', async () => {
    let run = 0;
    const cutKinds = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        sourceRows(24),
        sourceRows(24),
        sourceRows(24),
        entityRows(24),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(2, 4, 8),
        async (bucketedRows, sortedRows, timedRows, entities, chunkRows, buckets) => {
          run += 1;
          await withWorkspace(async (workspace) => {
            await writeSource(workspace, 'bucketed', bucketedRows, { buckets }, 3);
            await writeSource(workspace, 'sorted', sortedRows, 'sorted', 4);
            await writeSource(workspace, 'timed', timedRows, 'timed', 3);
            const file = path.join(workspace.directory, 'entities.parquet');
            await writeEntities(workspace, file, entities);
            const features = ['bucketed:amount', 'sorted:amount', 'timed:amount'];
            await withPyicebergCatalog(workspace, definitions(['bucketed', 'sorted', 'timed']), async (context) => {
              const request: TrainingSetRequest = {
                entities: { parquet: [file] },
                features,
                fullFeatureNames: true,
                output: { table: `datasets.run_${run}` },
              };
              const built = await runTrainingSet(context, request, chunkRows);
              const reference = await unpruned(context, file, features, true);
              assert.equal(reference.length, entities.length);
              assert.deepEqual(built.rows, reference);
              // The chunks are cut by the key of the source with the most rows: its buckets, ranges of it when its files hold
              // narrow key ranges, else finer buckets of it fed by the exchange step (or by position, for fewer than 3 chunks).
              const cutBy = new Set(
                built.plan.chunks.map((chunk) =>
                  built.plan.exchange ? 'exchange' : chunk.keyBuckets ? 'bucket' : chunk.keyRange ? 'range' : 'position',
                ),
              );
              assert.equal(cutBy.size, 1, 'one way of cutting for all chunks');
              assert.ok(
                built.plan.chunks.every((chunk) => chunk.rows <= chunkRows),
                'no chunk holds more than chunkRows entity rows',
              );
              cutKinds.add([...cutBy].join());
            });
          });
        },
      ),
      { numRuns: 16, seed: 56 },
    );
    assert.deepEqual([...cutKinds].sort(), ['bucket', 'exchange', 'position', 'range'], 'every way of cutting chunks was tried');
  });

  test('≥ 4 chunks over a bucketed source read at most 1.5× one pass over it', async (t) => {
    await withWorkspace(async (workspace) => {
      const rows: SourceRow[] = [];
      for (let driver = 1; driver <= 64; driver++)
        for (let minute = 0; minute < 600; minute += 40) rows.push({ driver, minute: minute + (driver % 7), amount: driver + minute });
      // 8 appends of every key: 8 files per bucket.
      await writeSource(workspace, 'trips', rows, { buckets: 8 }, 8);
      const entities: EntityRow[] = Array.from({ length: 640 }, (_, index) => ({
        driver: 1 + ((index * 37) % 64),
        minute: (index * 13) % 640,
      }));
      const file = path.join(workspace.directory, 'entities.parquet');
      await writeEntities(workspace, file, entities);
      await withPyicebergCatalog(workspace, definitions(['trips']), async (context) => {
        const request: TrainingSetRequest = {
          entities: { parquet: [file] },
          features: ['trips:amount'],
          output: { table: 'datasets.trips' },
        };
        const built = await runTrainingSet(context, request, 100);

        assert.ok(built.plan.chunks.length >= 4, `${built.plan.chunks.length} chunks`);
        const onePass = built.plan.sourceOnePass!;
        assert.equal(onePass.dataFiles, 64);
        assert.equal(onePass.rows, rows.length);
        const total = built.chunks.reduce(
          (sum, chunk) => ({ rows: sum.rows + chunk.sourceRead.rows, bytes: sum.bytes + chunk.sourceRead.bytes }),
          { rows: 0, bytes: 0 },
        );
        t.diagnostic(
          `${built.plan.chunks.length} chunks read ${(total.rows / onePass.rows).toFixed(2)}× one pass's rows, ${(total.bytes / onePass.bytes).toFixed(2)}× its bytes`,
        );
        assert.ok(total.rows <= 1.5 * onePass.rows, `rows read ${total.rows} against one pass of ${onePass.rows}`);
        assert.ok(total.bytes <= 1.5 * onePass.bytes, `bytes read ${total.bytes} against one pass of ${onePass.bytes}`);
        for (const chunk of built.chunks) assert.ok(chunk.sourceRead.dataFiles < onePass.dataFiles, `chunk ${chunk.index} read every file`);
        assert.deepEqual(built.rows, await unpruned(context, file, ['trips:amount']));

        // The same entity rows as an Iceberg table: the same chunks, the same training set.
        const catalog = sqliteCatalog(workspace.directory);
        await runPyicebergBatch([
          { command: 'create_table', args: { catalog, identifier: 'ent.requests', schema: ENTITY_SCHEMA } },
          { command: 'append', args: { catalog, identifier: 'ent.requests', parquet: file } },
        ]);
        const fromTable = await runTrainingSet(
          context,
          { ...request, entities: { table: 'ent.requests' }, output: { table: 'datasets.trips_t' } },
          100,
        );
        assert.deepEqual(
          fromTable.plan.chunks.map((chunk) => chunk.keyBuckets),
          built.plan.chunks.map((chunk) => chunk.keyBuckets),
        );
        assert.deepEqual(fromTable.rows, built.rows);
      });
    });
  });

  test('≥ 4 chunks over a source whose files are sorted by the key, cut by key range, read at most 1.5× one pass over it', async (t) => {
    await withWorkspace(async (workspace) => {
      const rows: SourceRow[] = [];
      for (let driver = 1; driver <= 64; driver++)
        for (let minute = 0; minute < 600; minute += 40) rows.push({ driver, minute: minute + (driver % 7), amount: driver + minute });
      // 8 appends, each a range of keys.
      await writeSource(workspace, 'trips', rows, 'sorted', 8);
      const entities: EntityRow[] = Array.from({ length: 640 }, (_, index) => ({
        driver: 1 + ((index * 37) % 64),
        minute: (index * 13) % 640,
      }));
      const file = path.join(workspace.directory, 'entities.parquet');
      await writeEntities(workspace, file, entities);
      await withPyicebergCatalog(workspace, definitions(['trips']), async (context) => {
        const request: TrainingSetRequest = {
          entities: { parquet: [file] },
          features: ['trips:amount'],
          output: { table: 'datasets.trips' },
        };
        const built = await runTrainingSet(context, request, 100);

        assert.ok(built.plan.chunks.length >= 4, `${built.plan.chunks.length} chunks`);
        assert.ok(built.plan.chunks.every((chunk) => chunk.keyRange !== undefined));
        const onePass = built.plan.sourceOnePass!;
        const total = built.chunks.reduce(
          (sum, chunk) => ({ rows: sum.rows + chunk.sourceRead.rows, bytes: sum.bytes + chunk.sourceRead.bytes }),
          { rows: 0, bytes: 0 },
        );
        t.diagnostic(
          `${built.plan.chunks.length} chunks read ${(total.rows / onePass.rows).toFixed(2)}× one pass's rows, ${(total.bytes / onePass.bytes).toFixed(2)}× its bytes`,
        );
        assert.ok(total.rows <= 1.5 * onePass.rows, `rows read ${total.rows} against one pass of ${onePass.rows}`);
        assert.ok(total.bytes <= 1.5 * onePass.bytes, `bytes read ${total.bytes} against one pass of ${onePass.bytes}`);
        assert.deepEqual(built.rows, await unpruned(context, file, ['trips:amount']));
      });
    });
  });
  test('≥ 4 chunks over sources laid out by neither bucket nor key read them once, through the exchange step', async (t) => {
    await withWorkspace(async (workspace) => {
      const rows: SourceRow[] = [];
      for (let driver = 1; driver <= 64; driver++)
        for (let minute = 0; minute < 600; minute += 40) rows.push({ driver, minute: minute + (driver % 7), amount: driver + minute });
      // 8 appends, each a range of times holding every key: no file can be skipped by key.
      await writeSource(workspace, 'trips', rows, 'timed', 8);
      await writeSource(workspace, 'tips', rows.slice(0, 600), 'timed', 4);
      const entities: EntityRow[] = Array.from({ length: 640 }, (_, index) => ({
        driver: index % 50 === 0 ? null : 1 + ((index * 37) % 70),
        minute: (index * 13) % 640,
      }));
      const file = path.join(workspace.directory, 'entities.parquet');
      await writeEntities(workspace, file, entities);
      // Beside the plain views, an aggregated one over the trips source: the exchange feeds it too.
      const windowed = defineFeatureView({
        name: 'trips_windowed',
        entities: ['driver'],
        source: 'trips_source',
        aggregations: [{ column: 'amount', type: 'long', functions: ['count', 'sum', 'max'], windows: ['1h', '3h'] }],
      });
      await withPyicebergCatalog(workspace, [...definitions(['trips', 'tips']), windowed], async (context) => {
        const features = ['trips:amount', 'tips:amount', 'trips_windowed:amount_sum_3h', 'trips_windowed:amount_count_1h'];
        const request: TrainingSetRequest = {
          entities: { parquet: [file] },
          features,
          fullFeatureNames: true,
          output: { table: 'datasets.trips' },
        };
        const built = await runTrainingSet(context, request, 100);

        assert.ok(built.plan.chunks.length >= 4, `${built.plan.chunks.length} chunks`);
        assert.deepEqual(built.plan.exchange?.views, ['trips', 'tips', 'trips_windowed']);
        assert.ok(built.plan.chunks.every((chunk) => chunk.keyBuckets !== undefined && chunk.rows <= 100));
        const onePass = built.plan.sourceOnePass!;
        assert.equal(onePass.rows, 2 * rows.length + 600);
        const exchangeRead = built.exchanged.reduce((sum, view) => sum + view.sourceRead.rows, 0);
        const chunksRead = built.chunks.reduce((sum, chunk) => sum + chunk.sourceRead.rows, 0);
        const exchangedRows = built.exchanged.flatMap((view) => view.files).reduce((sum, exchanged) => sum + exchanged.rows, 0);
        t.diagnostic(
          `${built.plan.chunks.length} chunks; the exchange read ${exchangeRead} of one pass's ${onePass.rows} rows and wrote ${exchangedRows}`,
        );
        assert.ok(exchangeRead <= onePass.rows, `the exchange read ${exchangeRead} rows against one pass of ${onePass.rows}`);
        assert.equal(chunksRead, 0, 'no chunk reads an exchanged source');
        assert.ok(exchangedRows <= exchangeRead);
        for (const view of built.exchanged)
          assert.deepEqual(
            [...new Set(view.files.map((exchanged) => exchanged.chunk))],
            built.plan.chunks.map((chunk) => chunk.index),
          );
        assert.deepEqual(built.rows, await unpruned(context, file, features, true));

        // The commit removes the exchanged rows; the training set's own files stay.
        const table = await context.catalog.loadTable(parseTableIdentifier('datasets.trips'));
        const left: string[] = [];
        for await (const staged of table.io.list(`${stagingRoot(table, 'ts-datasets.trips')}/exchange/`)) left.push(staged.location);
        assert.deepEqual(left, []);
      });
    });
  });
  test('string keys go through the exchange step too, by the MD5 of the key', async () => {
    await withWorkspace(async (workspace) => {
      const catalog = sqliteCatalog(workspace.directory);
      const riders = Array.from({ length: 40 }, (_, index) => `rider-${index}`);
      const rows = riders.flatMap((rider, index) =>
        Array.from({ length: 12 }, (_, step) => ({ rider, ts: iso(step * 50 + (index % 9)), amount: index * 100 + step })),
      );
      rows.sort((a, b) => a.ts.localeCompare(b.ts));
      const schema = {
        type: 'struct',
        'schema-id': 0,
        fields: [
          { id: 1, name: 'rider', type: 'string', required: false },
          { id: 2, name: 'ts', type: 'timestamptz', required: false },
          { id: 3, name: 'amount', type: 'long', required: false },
        ],
      };
      const columns = { rider: 'string', ts: 'timestamptz', amount: 'long' };
      await runPyicebergBatch([
        { command: 'create_table', args: { catalog, identifier: 'src.rides', schema } },
        ...[0, 1, 2, 3].map((part) => ({
          command: 'append' as const,
          args: { catalog, identifier: 'src.rides', columns, rows: rows.filter((_, index) => index % 4 === part) },
        })),
      ]);
      const file = path.join(workspace.directory, 'entities.parquet');
      const entityValues = Array.from({ length: 300 }, (_, index) => {
        const rider = index % 60 === 0 ? 'NULL' : quoteLiteral(`rider-${(index * 7) % 45}`);
        return `(${index}::BIGINT, ${rider}, TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_seconds(${BASE_SECONDS + ((index * 11) % 640) * 60}::BIGINT))`;
      });
      await workspace.engine.withConnection((connection) =>
        connection.run(
          `COPY (SELECT * FROM (VALUES ${entityValues.join(', ')}) AS t(request_id, rider, event_timestamp)) TO ${quoteLiteral(file)} (FORMAT parquet)`,
        ),
      );
      const definitions = [
        defineEntity({ name: 'rider', joinKeys: [{ name: 'rider', type: 'string' }] }),
        defineIcebergSource({ name: 'rides_source', table: 'src.rides', timestampField: 'ts' }),
        defineFeatureView({ name: 'rides', entities: ['rider'], source: 'rides_source', features: [{ name: 'amount', type: 'long' }] }),
      ];
      await withPyicebergCatalog(workspace, definitions, async (context) => {
        const request: TrainingSetRequest = {
          entities: { parquet: [file] },
          features: ['rides:amount'],
          output: { table: 'datasets.rides' },
        };
        const built = await runTrainingSet(context, request, 60);
        assert.equal(built.plan.exchange?.hash, 'md5');
        assert.ok(built.plan.chunks.length >= 5, `${built.plan.chunks.length} chunks`);
        assert.equal(
          built.chunks.reduce((sum, chunk) => sum + chunk.sourceRead.rows, 0),
          0,
          'no chunk reads the source',
        );
        assert.equal(built.exchanged[0]!.sourceRead.rows, rows.length);
        assert.deepEqual(built.rows, await unpruned(context, file, ['rides:amount']));
        assert.ok(
          built.rows.some((row) => JSON.parse(row).at(-1) !== null),
          'some entity rows join a feature row',
        );
      });
    });
  });
});
