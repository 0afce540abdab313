// A feature's declared type against its source column's (issue #54): accepted exactly when the two
// are equal or the column widens to the declaration (int → long, float → double), by `floe plan`'s
// check, by materialization and by historical retrieval alike; and when accepted, the online value
// (materialized, read back through OnlineStore) is the training set's value.
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { registerIcebergFunctions } from '../../../engine/write/partition-functions.js';
import { projectConfigSchema } from '../../../features/config.js';
import type { ValueType } from '../../../features/definitions.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import { ensureOnlineTable, onlineTableLayout } from '../../../features/online-table/layout.js';
import { planApply } from '../../../features/registry-store/apply.js';
import { at, timestampVector } from '../../support/features/historical-builders.js';
import type { Cell, Workspace } from '../../support/features/tables.js';
import { createTableWithRows, withWorkspace } from '../../support/features/tables.js';

const TYPES: readonly ValueType[] = ['boolean', 'int', 'long', 'float', 'double', 'date', 'timestamp', 'timestamptz', 'string'];
/** The widenings docs/reference/definitions.md documents, written out here rather than imported, so the test can fail. */
const DOCUMENTED_WIDENINGS: readonly (readonly [source: ValueType, declared: ValueType])[] = [
  ['int', 'long'],
  ['float', 'double'],
];
const accepted = (declared: ValueType, source: ValueType): boolean =>
  declared === source || DOCUMENTED_WIDENINGS.some(([from, to]) => from === source && to === declared);

/** Two values of each source type per driver: the later one is the latest, so it is what both sides return. */
const SAMPLES: Readonly<Record<ValueType, readonly [Cell, Cell]>> = {
  boolean: [false, true],
  int: [7, -123_456],
  long: [123n, 9_007_199_254_740_993n], // past 2^53: exact only if it stays a long end to end
  float: [1.5, 0.25],
  double: [0.91, 0.286],
  date: ['2024-05-01', '2024-05-02'],
  timestamp: [{ micros: at(-5) }, { micros: at(-4) }],
  timestamptz: [{ micros: at(-5) }, { micros: at(-4) }],
  string: ['x', '62'],
  binary: [null, null],
  uuid: [null, null],
};
const LATER = 1_000;
const NOW_MS = Number(at(LATER) / 1000n);

let run = 0;

/** A workspace whose DuckDB has Floe's Iceberg transform functions (materialization partitions online tables with them). */
async function withOnlineWorkspace(fn: (workspace: Workspace) => Promise<void>): Promise<void> {
  await withWorkspace(async (workspace) => {
    await workspace.engine.withConnection(async (connection) => registerIcebergFunctions(connection));
    await fn(workspace);
  });
}

/** A source table with column `v` of `source`, two drivers, two rows each; a view declaring `v` as `declared`. */
async function project(workspace: Workspace, declared: ValueType, source: ValueType) {
  run += 1;
  const table = `src.t${run}`;
  const [earlier, later] = SAMPLES[source];
  await createTableWithRows(
    workspace,
    table,
    [
      { name: 'driver_id', type: 'long' },
      { name: 'ts', type: 'timestamptz' },
      { name: 'v', type: source },
    ],
    [
      [
        [1n, { micros: at(0) }, earlier],
        [2n, { micros: at(0) }, later],
      ],
      [
        [1n, { micros: at(1) }, later],
        [2n, { micros: at(1) }, null],
      ],
    ],
  );
  const context = workspace.context([
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'stats', table, timestampField: 'ts' }),
    defineFeatureView({
      name: 'typed',
      entities: ['driver'],
      source: 'stats',
      features: [{ name: 'v', type: declared }],
      online: { table: `floe_online.typed_${run}`, buckets: 2 },
    }),
  ]);
  return { context, table };
}

const mismatch = (declared: ValueType, source: ValueType, table: string): RegExp =>
  new RegExp(
    `Feature view typed: feature v is declared ${declared}, but source stats \\(table ${table.replace('.', '\\.')}\\) has it as ${source}`,
  );

function column(table: arrow.Table, name: string): unknown[] {
  const vector = table.getChild(name);
  assert.ok(vector, `the result has a column ${name}`);
  return Array.from({ length: vector.length }, (_, index) => vector.get(index) ?? null);
}

/** A value as either side holds it (numbers or bigints; dates and times as text, ms or µs), in one comparable form for its type. */
function comparable(value: unknown, type: ValueType): unknown {
  if (value === null) return null;
  if (type === 'date') return typeof value === 'number' ? new Date(value).toISOString().slice(0, 10) : value;
  if (type === 'timestamp' || type === 'timestamptz') {
    const ms =
      typeof value === 'bigint'
        ? Number(value / 1000n)
        : typeof value === 'string'
          ? Date.parse(value.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`)
          : Number(value);
    return new Date(ms).toISOString();
  }
  if (typeof value === 'bigint') return `${value}`;
  if (typeof value === 'number' && (type === 'long' || type === 'int')) return `${value}`;
  return value;
}

describe('declared feature types against source column types (property)', () => {
  it('plan, materialization and training data accept a declaration exactly when it is the column type or a widening; online equals offline then', async () => {
    await withOnlineWorkspace(async (workspace) => {
      const config = projectConfigSchema.parse({
        project: 'p',
        catalog: { type: 'sql', uri: path.join(workspace.directory, 'catalog.db'), warehouse: path.join(workspace.directory, 'warehouse') },
      });
      const pairs = fc.tuple(fc.constantFrom(...TYPES), fc.constantFrom(...TYPES));
      // Every accepted pair is among the examples, so the online-equals-offline half runs for each of them.
      const examples = TYPES.flatMap((source) =>
        TYPES.filter((declared) => accepted(declared, source)).map((declared) => [[declared, source]] as [[ValueType, ValueType]]),
      );
      await fc.assert(
        fc.asyncProperty(pairs, async ([declared, source]) => {
          const { context, table } = await project(workspace, declared, source);
          const wanted = mismatch(declared, source, table);
          const plan = await planApply({ config, registry: context.registry, catalog: workspace.catalog });
          const typeProblems = plan.problems.filter((problem) => /is declared/.test(problem));
          const window = { start: new Date(Number(at(-10) / 1000n)), end: new Date(NOW_MS) };
          const entities = new arrow.Table({
            driver_id: arrow.vectorFromArray([1n, 2n, 3n], new arrow.Int64()),
            event_timestamp: timestampVector([at(LATER), at(LATER), at(LATER)]),
          });
          if (!accepted(declared, source)) {
            assert.equal(typeProblems.length, 1, `plan reports ${declared} over ${source}: ${plan.problems.join('\n')}`);
            assert.match(typeProblems[0]!, wanted);
            const refused = (error: unknown): boolean =>
              FloeError.is(error, 'invalid-input') && !error.retryable && wanted.test(error.message);
            await assert.rejects(materializeWindow(context, 'typed', window, `run-${run}`), refused);
            await assert.rejects(getHistoricalFeatures(context, { entities, features: ['typed:v'] }).toArrow(), refused);
            return;
          }
          assert.deepEqual(typeProblems, [], `plan accepts ${declared} over ${source}`);
          const { registry } = context;
          await ensureOnlineTable(workspace.catalog, onlineTableLayout(registry, registry.featureView('typed')));
          await materializeWindow(context, 'typed', window, `run-${run}`);
          const store = new OnlineStore({ registry, catalog: workspace.catalog, engine: workspace.engine, clock: () => NOW_MS });
          const online = await store.getOnlineFeatures({
            features: ['typed:v'],
            entityRows: [{ driver_id: 1 }, { driver_id: 2 }, { driver_id: 3 }],
          });
          const offline = await getHistoricalFeatures(context, { entities, features: ['typed:v'] }).toArrow();
          const onlineValues = online.features
            .find((feature) => feature.ref === 'typed:v')!
            .values.map((value) => comparable(value, declared));
          const offlineValues = column(offline, 'v').map((value) => comparable(value, declared));
          assert.deepEqual(onlineValues, offlineValues, `${declared} over ${source}: online and offline`);
          const numeric: Partial<Record<ValueType, string>> = { int: 'Int32', long: 'Int64', float: 'Float32', double: 'Float64' };
          if (numeric[declared] !== undefined)
            assert.equal(
              String(offline.getChild('v')?.type),
              numeric[declared],
              `offline reads ${source} declared ${declared} as ${declared}`,
            );
          assert.notEqual(onlineValues[0], null, "driver 1's latest value is served");
          assert.deepEqual(onlineValues.slice(1), [null, null], "driver 2's latest value is null; driver 3 has no row");
        }),
        { numRuns: 40, examples },
      );
    });
  });
});
