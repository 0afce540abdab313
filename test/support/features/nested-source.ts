// A source table whose features are nested (issue #54 item 6): an embedding list<float>, a
// list<float> column declared list<double>, a map<string,long> holding a long past 2^53, a
// struct<name:string,age:int> and a json feature over a string column. Shared by the unit test
// (local catalog) and the pyiceberg oracle test.
import path from 'node:path';
import { appendQuery } from '../../../engine/write/append-query.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import type { Engine } from '../../../engine/duckdb.js';
import type { Definition } from '../../../features/registry.js';
import type { FeatureViewInput } from '../../../features/definitions.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import type { NestedField } from '../../../iceberg/spec/types.js';
import { at } from './historical-builders.js';

export const BIG = 9_007_199_254_740_993n; // 2^53 + 1: exact only if it stays a long end to end

export const NESTED_FIELDS: NestedField[] = [
  { id: 1, name: 'driver_id', required: false, type: 'long' },
  { id: 2, name: 'ts', required: false, type: 'timestamptz' },
  { id: 3, name: 'embedding', required: false, type: { type: 'list', elementId: 7, element: 'float', elementRequired: false } },
  { id: 4, name: 'scores', required: false, type: { type: 'list', elementId: 8, element: 'float', elementRequired: false } },
  {
    id: 5,
    name: 'meta',
    required: false,
    type: { type: 'map', keyId: 9, key: 'string', valueId: 10, value: 'long', valueRequired: false },
  },
  {
    id: 6,
    name: 'profile',
    required: false,
    type: {
      type: 'struct',
      fields: [
        { id: 11, name: 'name', required: false, type: 'string' },
        { id: 12, name: 'age', required: false, type: 'int' },
      ],
    },
  },
  { id: 13, name: 'config', required: false, type: 'string' },
];

const time = (seconds: number): string => `(TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_microseconds(${at(seconds)}::BIGINT))`;

/** Two commits: driver 1 at 0 s then at 1 s (the latest), driver 2 at 0 s with nulls inside its values; driver 3 has no row. */
export const NESTED_BATCHES: readonly string[] = [
  `SELECT * FROM (VALUES
    (1::BIGINT, ${time(0)}, [9, 9]::FLOAT[], [1]::FLOAT[], MAP {'a': 0}::MAP(VARCHAR, BIGINT), {'name': 'old', 'age': 1}::STRUCT(name VARCHAR, age INTEGER), '{}'),
    (2::BIGINT, ${time(0)}, [1.5, NULL]::FLOAT[], []::FLOAT[], MAP {}::MAP(VARCHAR, BIGINT), {'name': NULL, 'age': 7}::STRUCT(name VARCHAR, age INTEGER), NULL)
  ) AS t(driver_id, ts, embedding, scores, meta, profile, config)`,
  `SELECT * FROM (VALUES
    (1::BIGINT, ${time(1)}, [0.5, -1.25, 3]::FLOAT[], ['0.1']::FLOAT[], MAP {'a': 1, 'big': ${BIG}}::MAP(VARCHAR, BIGINT), {'name': 'Ann', 'age': 42}::STRUCT(name VARCHAR, age INTEGER), '{"tier":"gold","limits":[1,2]}')
  ) AS t(driver_id, ts, embedding, scores, meta, profile, config)`,
];

/** The latest values per driver (1, 2, 3) as an online read presents them. */
export const NESTED_EXPECTED: Readonly<Record<string, readonly unknown[]>> = {
  embedding: [[0.5, -1.25, 3], [1.5, null], null],
  scores: [[Math.fround(0.1)], [], null],
  meta: [{ a: 1n, big: BIG }, {}, null],
  profile: [{ name: 'Ann', age: 42 }, { name: null, age: 7 }, null],
  config: ['{"tier":"gold","limits":[1,2]}', null, null],
};

export const NESTED_FEATURES: NonNullable<FeatureViewInput['features']> = [
  { name: 'embedding', type: 'list<float>' },
  { name: 'scores', type: 'list<double>' },
  { name: 'meta', type: 'map<string,long>' },
  { name: 'profile', type: 'struct<name:string,age:int>' },
  { name: 'config', type: 'json' },
];

export async function createNestedSource(options: {
  catalog: Catalog;
  engine: Engine;
  identifier: string;
  workDirectory: string;
}): Promise<void> {
  const [namespace, name] = options.identifier.split('.') as [string, string];
  if (!(await options.catalog.namespaceExists([namespace]))) await options.catalog.createNamespace([namespace]);
  await options.catalog.createTable(
    { namespace: [namespace], name },
    { schema: { schemaId: 0, identifierFieldIds: [], fields: NESTED_FIELDS }, properties: { 'format-version': '2' } },
  );
  for (const query of NESTED_BATCHES)
    await appendQuery({
      catalog: options.catalog,
      engine: options.engine,
      identifier: { namespace: [namespace], name },
      query,
      workDirectory: path.join(options.workDirectory, 'append'),
    });
}

/** The entity, source and `profiles` view over `table`, with the given features (all of them by default). */
export function nestedDefinitions(table: string, options: { onlineTable: string; features?: FeatureViewInput['features'] }): Definition[] {
  return [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({ name: 'drivers', table, timestampField: 'ts' }),
    defineFeatureView({
      name: 'profiles',
      entities: ['driver'],
      source: 'drivers',
      features: options.features ?? NESTED_FEATURES,
      online: { table: options.onlineTable, buckets: 2 },
    }),
  ];
}
