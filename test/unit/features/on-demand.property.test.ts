// On-demand views: one definition gives identical values online (OnlineStore over a materialized
// online table, request fields in the entity rows) and offline (getHistoricalFeatures over the
// point-in-time joined rows, request fields as entity columns), and both equal compute applied to
// a brute-force latest row. A missing request field is refused, through the feature server with 400.
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { defineOnDemandView, defineRequestSource } from '../../../features/on-demand.js';
import type { OnDemandInputs } from '../../../features/on-demand.js';
import { OnlineStore } from '../../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../features/online-table/layout.js';
import { Registry } from '../../../features/registry.js';
import { FloeError } from '../../../core/errors.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import { commitTrainingSet, planTrainingSet, writeTrainingSetChunk } from '../../../features/training-set/index.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { scanTable } from '../../../engine/read/table-reader.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import path from 'node:path';
import { diffDefinitions } from '../../../features/registry-store/diff.js';
import { documentDefinitions, registryDocument } from '../../../features/registry-store/document.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import type { PrimitiveType } from '../../../iceberg/spec/types.js';
import { at, nullable, timestampVector } from '../../support/features/historical-builders.js';
import { createTableWithRows, withWorkspace } from '../../support/features/tables.js';
import type { Workspace } from '../../support/features/tables.js';
import { serverError } from '../../support/server-error.js';
import { defined } from '../../../contracts/defined.js';

const LATER = 1_000; // every entity row and the online clock are after every source row
const NOW_MS = Number(at(LATER) / 1000n);

/** The source table's columns, in the order its rows are written. */
const SOURCE_COLUMNS: readonly { name: string; type: PrimitiveType }[] = [
  { name: 'driver_id', type: 'long' },
  { name: 'ts', type: 'timestamptz' },
  { name: 'a', type: 'double' },
  { name: 'b', type: 'long' },
  { name: 'name', type: 'string' },
  { name: 'seen', type: 'timestamptz' },
];

interface SourceRow {
  readonly driver: number;
  readonly a: number | null;
  readonly b: number | null;
  readonly name: string | null;
  readonly seen: number | null;
}
interface Request {
  readonly driver: number;
  readonly lat: number | null;
  readonly k: number | null;
}

const maybe = nullable(5);
const sourceRow: fc.Arbitrary<SourceRow> = fc.record({
  driver: fc.integer({ min: 1, max: 4 }),
  a: maybe(fc.double({ min: -10, max: 10, noNaN: true })),
  b: maybe(fc.integer({ min: -3, max: 3 })),
  name: maybe(fc.constantFrom('x', 'y', "it's")),
  seen: maybe(fc.integer({ min: -100, max: 100 })),
});
const requestRow: fc.Arbitrary<Request> = fc.record({
  driver: fc.integer({ min: 1, max: 5 }),
  lat: maybe(fc.double({ min: -10, max: 10, noNaN: true })),
  k: maybe(fc.integer({ min: -1_000, max: 1_000 })),
});

/** Pure, and it touches every kind of input: numbers, a long, a string, a timestamp (as Date), request fields. */
function compute({ stats, ride }: OnDemandInputs) {
  const { a, b, name, seen } = stats as { a: number | null; b: number | null; name: string | null; seen: Date | null };
  const { lat, k } = ride as { lat: number | null; k: number | null };
  return {
    ratio: a === null || b === null || b === 0 ? null : a / b,
    tag: `${name ?? 'none'}-${k ?? '?'}`,
    score: b === null || k === null ? null : BigInt(b) * BigInt(k),
    near: lat === null || a === null ? null : lat > a,
    age_s: seen === null ? null : (1_714_000_000_000 + 1_000_000 - seen.getTime()) / 1000,
    lat32: lat,
  };
}

function definitions(table: string, onlineTable?: string) {
  const stats = defineFeatureView({
    name: 'stats',
    entities: ['driver'],
    source: 'src',
    features: [
      { name: 'a', type: 'double' },
      { name: 'b', type: 'long' },
      { name: 'name', type: 'string' },
      { name: 'seen', type: 'timestamptz' },
    ],
    online: { buckets: 2, ...defined({ table: onlineTable }) },
  });
  const ride = defineRequestSource({
    name: 'ride',
    fields: [
      { name: 'lat', type: 'double' },
      { name: 'k', type: 'long' },
    ],
  });
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'src', table, timestampField: 'ts' }),
    stats,
    ride,
    defineOnDemandView({
      name: 'derived',
      sources: [stats, ride],
      features: [
        { name: 'ratio', type: 'double' },
        { name: 'tag', type: 'string' },
        { name: 'score', type: 'long' },
        { name: 'near', type: 'boolean' },
        { name: 'age_s', type: 'double' },
        { name: 'lat32', type: 'float' },
      ],
      compute,
    }),
    defineFeatureService({ name: 'model', features: ['stats:a', 'derived'] }),
  ];
}

const ODV_FEATURES = ['ratio', 'tag', 'score', 'near', 'age_s', 'lat32'] as const;

/** compute over the brute-force latest row of each request's driver, typed as the features are. */
function expected(rows: readonly SourceRow[], requests: readonly Request[]): unknown[][] {
  return requests.map((request) => {
    const latest = rows.map((row, t) => ({ row, t })).findLast(({ row }) => row.driver === request.driver)?.row;
    const out = compute({
      stats: {
        a: latest?.a ?? null,
        b: latest?.b ?? null,
        name: latest?.name ?? null,
        seen: latest?.seen === null || latest === undefined ? null : new Date(Number(at(latest.seen) / 1000n)),
      },
      ride: { lat: request.lat, k: request.k },
    });
    return [out.ratio, out.tag, out.score, out.near, out.age_s, out.lat32 === null ? null : Math.fround(out.lat32)];
  });
}

function entityTable(requests: readonly Request[]): arrow.Table {
  return new arrow.Table({
    driver_id: arrow.vectorFromArray(
      requests.map((request) => BigInt(request.driver)),
      new arrow.Int64(),
    ),
    event_timestamp: timestampVector(requests.map(() => at(LATER))),
    lat: arrow.vectorFromArray(
      requests.map((request) => request.lat),
      new arrow.Float64(),
    ),
    k: arrow.vectorFromArray(
      requests.map((request) => (request.k === null ? null : BigInt(request.k))),
      new arrow.Int64(),
    ),
  });
}

function column(table: arrow.Table, name: string): unknown[] {
  const vector = table.getChild(name);
  assert.ok(vector, `the result has a column ${name}; it has ${table.schema.fields.map((field) => field.name).join(', ')}`);
  return Array.from({ length: vector.length }, (_, index) => vector.get(index) ?? null);
}

let run = 0;

/** Materialization partitions online tables with Iceberg transforms, which DuckDB computes through Floe's functions. */
async function withOnlineWorkspace(fn: (workspace: Workspace) => Promise<void>): Promise<void> {
  await withWorkspace(async (workspace) => {
    await workspace.engine.withConnection(async (connection) => registerIcebergFunctions(connection));
    await fn(workspace);
  });
}

describe('on-demand views (property)', () => {
  it('give identical values online and offline, equal to compute over the brute-force latest row', async () => {
    await withOnlineWorkspace(async (workspace) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(sourceRow, { maxLength: 14 }),
          fc.array(requestRow, { minLength: 1, maxLength: 10 }),
          async (rows, requests) => {
            run += 1;
            const table = `src.s${run}`;
            await createTableWithRows(
              workspace,
              table,
              SOURCE_COLUMNS,
              // Every row its own time (its index), so "latest" has no ties to break.
              [
                rows.map((row, t) => [
                  BigInt(row.driver),
                  { micros: at(t) },
                  row.a,
                  row.b === null ? null : BigInt(row.b),
                  row.name,
                  row.seen === null ? null : { micros: at(row.seen) },
                ]),
              ],
            );
            // Each run its own online table.
            const runContext = workspace.context(definitions(table, `floe_online.stats_${run}`));
            const { registry } = runContext;
            await ensureOnlineTable(workspace.catalog, onlineTableLayout(registry, registry.featureView('stats')));
            await materializeWindow(runContext, 'stats', { start: new Date(Number(at(-10) / 1000n)), end: new Date(NOW_MS) }, `run-${run}`);

            const store = new OnlineStore({ registry, catalog: workspace.catalog, engine: workspace.engine, clock: () => NOW_MS });
            const online = await store.getOnlineFeatures({
              featureService: 'model',
              entityRows: requests.map((request) => ({ driver_id: request.driver, lat: request.lat, k: request.k })),
            });
            assert.deepEqual(
              online.features.map((feature) => feature.ref),
              ['stats:a', ...ODV_FEATURES.map((name) => `derived:${name}`)],
            );
            const offline = await getHistoricalFeatures(runContext, { entities: entityTable(requests), featureService: 'model' }).toArrow();
            assert.deepEqual(
              offline.schema.fields.map((field) => field.name),
              ['driver_id', 'event_timestamp', 'lat', 'k', 'a', ...ODV_FEATURES],
            );
            const wanted = expected(rows, requests);
            ODV_FEATURES.forEach((name, index) => {
              const onlineValues = online.features.find((feature) => feature.ref === `derived:${name}`)!.values;
              assert.deepEqual(column(offline, name), onlineValues, `derived:${name} online and offline`);
              assert.deepEqual(
                onlineValues,
                wanted.map((row) => row[index]),
                `derived:${name} against compute over the latest row`,
              );
            });
            assert.deepEqual(column(offline, 'a'), online.features[0]!.values);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
});

describe('on-demand views: request fields and references', () => {
  it('a missing request field is refused naming it: OnlineStore, the feature server (400) and the training data', async () => {
    await withOnlineWorkspace(async (workspace) => {
      await createTableWithRows(workspace, 'src.t', SOURCE_COLUMNS, [[[1n, { micros: at(0) }, 1.5, 2n, 'x', null]]]);
      const context = workspace.context(definitions('src.t'));
      await ensureOnlineTable(workspace.catalog, onlineTableLayout(context.registry, context.registry.featureView('stats')));
      await materializeWindow(context, 'stats', { start: new Date(Number(at(-10) / 1000n)), end: new Date(NOW_MS) }, 'one');
      const store = new OnlineStore({
        registry: context.registry,
        catalog: workspace.catalog,
        engine: workspace.engine,
        clock: () => NOW_MS,
      });

      const ok = await store.getOnlineFeatures({ features: ['derived:ratio'], entityRows: [{ driver_id: 1, lat: 0, k: 3 }] });
      assert.deepEqual(
        ok.features.map((feature) => [feature.ref, feature.values]),
        [['derived:ratio', [0.75]]],
      );
      const fromText = await store.getOnlineFeatures({ features: ['derived:ratio'], entityRows: [{ driver_id: '1', lat: '0', k: '3' }] });
      assert.deepEqual(fromText.features[0]?.values, [0.75], 'numbers as text (the CLI sends text) count as numbers');
      await assert.rejects(
        store.getOnlineFeatures({ features: ['derived:ratio'], entityRows: [{ driver_id: 1, lat: 0 }] }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /Entity row 0 has no request field "k"/.test(error.message),
      );
      await assert.rejects(
        store.getOnlineFeatures({ features: ['derived:ratio'], entityRows: [{ driver_id: 1, lat: 'north', k: 1 }] }),
        (error: unknown) => FloeError.is(error, 'invalid-input') && /request field lat must be a double/.test(error.message),
      );

      const server = createFeatureServer({ store });
      try {
        const missing = await server.inject({
          method: 'POST',
          url: '/get-online-features',
          payload: { features: ['derived:tag'], entities: { driver_id: [1], lat: [0.5] } },
        });
        assert.equal(missing.statusCode, 400);
        assert.match(serverError(missing.json()).message, /no request field "k" \(a long of request source ride/);
        const fine = await server.inject({
          method: 'POST',
          url: '/get-online-features',
          payload: { features: ['derived:tag'], entities: { driver_id: [1], lat: [0.5], k: [4] } },
        });
        assert.equal(fine.statusCode, 200, fine.body);
        assert.match(fine.body, /x-4/);
      } finally {
        await server.close();
      }

      const withoutK = new arrow.Table({
        driver_id: arrow.vectorFromArray([1n], new arrow.Int64()),
        event_timestamp: arrow.vectorFromArray([new Date(NOW_MS)], new arrow.TimestampMillisecond('UTC')),
        lat: arrow.vectorFromArray([0.5], new arrow.Float64()),
      });
      await assert.rejects(
        getHistoricalFeatures(context, { entities: withoutK, features: ['derived:tag'] }).toArrow(),
        (error: unknown) =>
          FloeError.is(error, 'invalid-input') && /no column "k", the request field of request source ride/.test(error.message),
      );
    });
  });

  it('a training set computes them chunk by chunk, the same as getHistoricalFeatures over the same entity rows', async () => {
    await withOnlineWorkspace(async (workspace) => {
      await createTableWithRows(workspace, 'src.t', SOURCE_COLUMNS, [
        [
          [1n, { micros: at(0) }, 1.5, 2n, 'x', { micros: at(-5) }],
          [2n, { micros: at(1) }, -3, 0n, null, null],
          [1n, { micros: at(5) }, 4, -1n, 'y', { micros: at(3) }],
        ],
      ]);
      const context = workspace.context(definitions('src.t'));
      const entities = path.join(workspace.directory, 'entities.parquet');
      const rows = Array.from({ length: 8 }, (_, index) => `(${(index % 3) + 1}, ${index - 1}, ${index / 4}, ${index * 7 - 20})`);
      await workspace.engine.withConnection(async (connection) => {
        await connection.run(
          `COPY (SELECT driver_id::BIGINT AS driver_id, TIMESTAMPTZ '2024-04-24 23:06:40+00' + to_seconds(t::BIGINT) AS event_timestamp, lat::DOUBLE AS lat, k::BIGINT AS k FROM (VALUES ${rows.join(', ')}) AS v(driver_id, t, lat, k)) TO ${quoteLiteral(entities)} (FORMAT parquet)`,
        );
      });
      const request = { entities: { parquet: [entities] }, featureService: 'model', output: { table: 'out.training' } };
      await workspace.catalog.createNamespace(['out']);
      const plan = await planTrainingSet(context, request, { key: 'k1', chunkRows: 3 });
      assert.equal(plan.chunks.length, 3);
      const chunks = [];
      for (const chunk of plan.chunks)
        chunks.push(await writeTrainingSetChunk(context, request, { key: 'k1', chunk, entitySnapshotId: null, attempt: 1 }));
      await commitTrainingSet(context, request, { key: 'k1', chunks });

      const expectedRows = await getHistoricalFeatures(context, { entities: { parquet: [entities] }, featureService: 'model' }).toArrow();
      const table = await workspace.catalog.loadTable(parseTableIdentifier('out.training'));
      const scan = await scanTable(table);
      const written = await workspace.engine.withConnection(async (connection) =>
        (
          await connection.runAndReadAll(
            `SELECT ratio, tag, score, near, age_s, lat32 FROM (${scan.sql}) ORDER BY event_timestamp, driver_id`,
          )
        ).getRowsJS(),
      );
      const byTime = [...Array(expectedRows.numRows).keys()].sort(
        (x, y) =>
          Number((expectedRows.get(x)!.event_timestamp as number) - (expectedRows.get(y)!.event_timestamp as number)) ||
          Number(expectedRows.get(x)!.driver_id) - Number(expectedRows.get(y)!.driver_id),
      );
      assert.deepEqual(
        written,
        byTime.map((index) => ODV_FEATURES.map((name) => expectedRows.getChild(name)!.get(index) ?? null)),
      );
      assert.ok(
        written.some((row) => row[0] !== null && row[4] !== null),
        'some rows have every input',
      );
    });
  });

  it('the registry refuses an on-demand view over an undefined source, a clash with a view name, and unknown features', () => {
    const defs = definitions('src.t');
    const odv = (name: string, sources: string[]) =>
      defineOnDemandView({ name, sources, features: [{ name: 'f', type: 'double' }], compute: () => ({ f: 1 }) });
    assert.throws(
      () => new Registry([...defs, odv('bad', ['nope'])]),
      /On-demand view bad refers to source "nope", which is neither a feature view nor a request source/,
    );
    assert.throws(() => new Registry([...defs, odv('stats', ['ride'])]), /has the name of a feature view/);
    assert.throws(() => new Registry([...defs, odv('bad', ['stats:nope'])]), /"stats:nope", which does not exist/);
    assert.throws(
      () => new Registry([...defs, defineFeatureService({ name: 'm2', features: ['derived:nope'] })]),
      /"derived:nope", which does not exist; derived has: ratio/,
    );
    assert.throws(
      () => defineOnDemandView({ name: 'x', sources: ['stats'], features: [{ name: 'f', type: 'date' as never }], compute: () => ({}) }),
      (error: unknown) => FloeError.is(error, 'invalid-input') && /features\.0\.type/.test(error.message),
    );
  });

  it('the registry document stores the view without its function, by hash: a changed compute is an update of computeHash', () => {
    const before = new Registry(definitions('src.t'));
    const document = JSON.parse(
      JSON.stringify(registryDocument(before, { project: 'p', version: 1, appliedAt: new Date(0) })),
    ) as ReturnType<typeof registryDocument>;
    const stored = document.onDemandViews?.[0];
    assert.equal(stored?.name, 'derived');
    assert.equal('compute' in (stored ?? {}), false);
    assert.deepEqual(
      document.requestSources?.map((source) => source.name),
      ['ride'],
    );
    const current = (registry: Registry) =>
      documentDefinitions(registryDocument(registry, { project: 'p', version: 2, appliedAt: new Date(0) }));
    assert.deepEqual(diffDefinitions(documentDefinitions(document), current(before)), []);
    const changed = new Registry(
      definitions('src.t').map((definition) =>
        definition.kind === 'onDemandView'
          ? defineOnDemandView({
              name: definition.name,
              sources: ['stats', 'ride'],
              features: [...definition.features],
              compute: () => ({ ratio: 1 }),
            })
          : definition,
      ),
    );
    assert.deepEqual(
      diffDefinitions(documentDefinitions(document), current(changed)).map((change) => [
        change.change,
        change.kind,
        change.name,
        change.fields,
      ]),
      [['update', 'onDemandView', 'derived', ['computeHash']]],
    );
  });

  it('a view of request fields alone needs no feature rows, online or offline', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const ride = defineRequestSource({ name: 'ride', fields: [{ name: 'lat', type: 'double' }] });
      const north = defineOnDemandView({
        name: 'north',
        sources: [ride],
        features: [{ name: 'is_north', type: 'boolean' }],
        compute: ({ ride: fields }) => ({ is_north: fields!.lat === null ? null : (fields!.lat as number) > 52 }),
      });
      const context = workspace.context([ride, north]);
      const store = new OnlineStore({
        registry: context.registry,
        catalog: workspace.catalog,
        engine: workspace.engine,
        clock: () => NOW_MS,
      });
      const online = await store.getOnlineFeatures({ features: ['north:is_north'], entityRows: [{ lat: 53 }, { lat: 1 }, { lat: null }] });
      assert.deepEqual(online.features[0]?.values, [true, false, null]);
      const offline = await getHistoricalFeatures(context, {
        entities: new arrow.Table({
          event_timestamp: arrow.vectorFromArray([new Date(0), new Date(0), new Date(0)], new arrow.TimestampMillisecond('UTC')),
          lat: arrow.vectorFromArray([53, 1, null], new arrow.Float64()),
        }),
        features: ['north'],
      }).toArrow();
      assert.deepEqual(column(offline, 'is_north'), [true, false, null]);
    });
  });

  it('hands compute int, float, boolean, date and timestamp inputs offline as documented', async () => {
    await withOnlineWorkspace(async (workspace) => {
      await createTableWithRows(
        workspace,
        'src.typed',
        [
          { name: 'driver_id', type: 'long' },
          { name: 'ts', type: 'timestamptz' },
          { name: 'i', type: 'int' },
          { name: 'f', type: 'float' },
          { name: 'flag', type: 'boolean' },
          { name: 'day', type: 'date' },
          { name: 'at', type: 'timestamp' },
        ],
        [
          [
            [1n, { micros: at(0) }, -7, 0.1, true, '2024-02-29', { micros: 1_700_000_000_123_456n }],
            [2n, { micros: at(0) }, null, null, null, null, null],
          ],
        ],
      );
      const typed = defineFeatureView({
        name: 'typed',
        entities: ['driver'],
        source: 'typed_src',
        features: [
          { name: 'i', type: 'int' },
          { name: 'f', type: 'float' },
          { name: 'flag', type: 'boolean' },
          { name: 'day', type: 'date' },
          { name: 'at', type: 'timestamp' },
        ],
      });
      // What compute saw, spelled out: each value's JavaScript type and value.
      const seen = defineOnDemandView({
        name: 'seen',
        sources: [typed],
        features: [{ name: 'inputs', type: 'string' }],
        compute: ({ typed: fields }) => ({
          inputs: Object.entries(fields!)
            .map(
              ([name, value]) => `${name}=${value instanceof Date ? `Date(${value.toISOString()})` : `${typeof value}(${String(value)})`}`,
            )
            .join(' '),
        }),
      });
      const offline = await getHistoricalFeatures(
        workspace.context([
          defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
          defineIcebergSource({ name: 'typed_src', table: 'src.typed', timestampField: 'ts' }),
          typed,
          seen,
        ]),
        {
          entities: new arrow.Table({
            driver_id: arrow.vectorFromArray([1n, 2n], new arrow.Int64()),
            event_timestamp: arrow.vectorFromArray([new Date(NOW_MS), new Date(NOW_MS)], new arrow.TimestampMillisecond('UTC')),
          }),
          features: ['seen'],
        },
      ).toArrow();
      assert.deepEqual(column(offline, 'inputs'), [
        `i=number(-7) f=number(${Math.fround(0.1)}) flag=boolean(true) day=string(2024-02-29) at=Date(2023-11-14T22:13:20.123Z)`,
        'i=object(null) f=object(null) flag=object(null) day=object(null) at=object(null)',
      ]);
    });
  });

  it('computes every row when the entity rows come from several Parquet files (their ordinals have gaps)', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const ride = defineRequestSource({ name: 'ride', fields: [{ name: 'lat', type: 'double' }] });
      const doubled = defineOnDemandView({
        name: 'doubled',
        sources: [ride],
        features: [{ name: 'lat_twice', type: 'double' }],
        compute: ({ ride: fields }) => ({ lat_twice: (fields!.lat as number) * 2 }),
      });
      // Each file's rows are numbered from file_index << 40, so paging by a fixed span of ordinals
      // would walk 2^40 / page-size empty pages between the two files.
      const files = [0, 1].map((file) => path.join(workspace.directory, `entities-${file}.parquet`));
      await workspace.engine.withConnection(async (connection) => {
        for (const [file, name] of files.entries())
          await connection.run(
            `COPY (SELECT TIMESTAMPTZ '1970-01-01 00:00:00+00' AS event_timestamp, (i + ${file * 1000})::DOUBLE AS lat FROM range(3) AS r(i)) TO ${quoteLiteral(name)} (FORMAT parquet)`,
          );
      });
      const offline = await getHistoricalFeatures(workspace.context([ride, doubled]), {
        entities: { parquet: files },
        features: ['doubled'],
      }).toArrow();
      assert.deepEqual(column(offline, 'lat'), [0, 1, 2, 1000, 1001, 1002]);
      assert.deepEqual(column(offline, 'lat_twice'), [0, 2, 4, 2000, 2002, 2004]);
    });
  });

  it('computes every row of a result longer than a DuckDB appender holds before it flushes (204,800 rows)', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const ride = defineRequestSource({ name: 'ride', fields: [{ name: 'lat', type: 'double' }] });
      const doubled = defineOnDemandView({
        name: 'doubled',
        sources: [ride],
        features: [{ name: 'lat_twice', type: 'double' }],
        compute: ({ ride: fields }) => ({ lat_twice: (fields!.lat as number) * 2 }),
      });
      const rows = 250_000;
      const offline = await getHistoricalFeatures(workspace.context([ride, doubled]), {
        entities: new arrow.Table({
          event_timestamp: arrow.vectorFromArray(
            Array.from({ length: rows }, () => new Date(0)),
            new arrow.TimestampMillisecond('UTC'),
          ),
          lat: arrow.vectorFromArray(
            Array.from({ length: rows }, (_, index) => index),
            new arrow.Float64(),
          ),
        }),
        features: ['doubled'],
      }).toArrow();
      const values = column(offline, 'lat_twice');
      assert.equal(values.length, rows);
      assert.ok(
        values.every((value, index) => value === index * 2),
        'each row holds twice its own lat',
      );
    });
  });
});
