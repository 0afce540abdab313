// services: temporal, python
// Bad input of every kind, one row each, as a user meets it: the real `floe` program (or a real
// `floe serve`) against a real project in a temp folder, sharing one applied project, one SQL
// catalog and one worker. Every row asserts the exit code (or HTTP status) the README promises, a
// message naming the object, no stack trace, no configured secret (the project's floe.yaml takes
// an S3 key pair and a REST token from the environment), and that no table or catalog changed: the
// catalog's pointers and the warehouse's file listing are the same before and after.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { quoteLiteral } from '../../../engine/sql.js';
import type { TableFiles } from '../../support/pipelines/damaged-files.js';
import { tableFiles, truncate, withDamagedFile, zeroMiddle } from '../../support/pipelines/damaged-files.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import type { CommandResult } from '../../support/cli-project.js';
import { floeCommand, startServer, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { serverError } from '../../support/server-error.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { closedPort } from '../../support/closed-port.js';

const suffix = randomUUID().slice(0, 8);
const VIEW = `bad_table_${suffix}`;
const DAY2 = { start: '2024-05-02T00:00:00Z', end: '2024-05-03T00:00:00Z' };
const SECRETS = {
  FLOE_BAD_INPUT_KEY_ID: `AKIABADINPUT${suffix.toUpperCase()}`,
  FLOE_BAD_INPUT_SECRET: `bad-input-secret-${randomUUID()}`,
  FLOE_BAD_INPUT_TOKEN: `bad-input-token-${randomUUID()}`,
};
const env = { ...process.env, ...SECRETS };

const directory = scratchFolder('bad-input-table');
let source: SourceTable;
let files: TableFiles;
let closedAddress: string;
let worker: ChildProcess | undefined;
let server: ChildProcess | undefined;
let serverUrl: string;
let baseYaml: string;
let baseFeatures: string;

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const entities = (file: string): string => path.join(directory, 'entities', file);

async function writeEntityFiles(): Promise<void> {
  await mkdir(path.join(directory, 'entities'));
  await writeFile(entities('not-parquet.parquet'), 'driver_id,event_timestamp\n1001,2024-05-02T00:00:00Z\n');
  const instance = await DuckDBInstance.create();
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT 1001::BIGINT AS driver_id, TIMESTAMPTZ '2024-05-02 03:00:00+00' AS requested_at) TO ${quoteLiteral(entities('no-timestamp.parquet'))} (FORMAT parquet)`,
    );
    await connection.run(
      `COPY (SELECT 1001::BIGINT AS driver_id, TIMESTAMPTZ '2024-05-02 03:00:00+00' AS event_timestamp) TO ${quoteLiteral(entities('requests.parquet'))} (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'bad-input-table', source, view: VIEW });
  // Secrets only ever come from the environment; none of them may be printed by any row.
  baseYaml = (await readFile(path.join(directory, 'floe.yaml'), 'utf8')).replace(
    /\ntemporal:/,
    '\n  s3:\n    accessKeyId: ${FLOE_BAD_INPUT_KEY_ID}\n    secretAccessKey: ${FLOE_BAD_INPUT_SECRET}\ntemporal:',
  );
  await writeFile(path.join(directory, 'floe.yaml'), baseYaml);
  baseFeatures = await readFile(path.join(directory, 'features.ts'), 'utf8');
  files = await tableFiles(source.floeCatalog, { namespace: ['rides'], name: 'driver_stats' });
  closedAddress = `127.0.0.1:${await closedPort()}`;
  await writeEntityFiles();
  const applied = await floeCommand(['apply', '--project', directory], { env });
  assert.equal(applied.code, 0, applied.stderr);
  worker = startWorker(directory, { env });
  ({ url: serverUrl, server } = await startServer(directory, { env }));
});

after(async () => {
  await stopWorker(server);
  await stopWorker(worker);
});

interface CatalogState {
  readonly pointers: unknown[];
  readonly files: string[];
}

/** The SQL catalog's rows (read directly, so a damaged table does not stop it) and every file under the warehouse with its size. */
async function catalogState(): Promise<CatalogState> {
  const database = new Database(source.oracle.uri.replace(/^sqlite:\/\//, ''), { readonly: true });
  let pointers: unknown[];
  try {
    pointers = database
      .prepare('SELECT table_namespace, table_name, metadata_location, previous_metadata_location FROM iceberg_tables ORDER BY 1, 2')
      .all();
  } finally {
    database.close();
  }
  const warehouse = source.oracle.warehouse.replace(/^file:\/\//, '');
  const listing: string[] = [];
  for (const entry of await readdir(warehouse, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    listing.push(`${path.relative(warehouse, file)} ${(await stat(file)).size}`);
  }
  return { pointers, files: listing.sort() };
}

function assertClean(output: string): void {
  assert.doesNotMatch(output, /\n\s+at /, `a stack trace:\n${output}`);
  for (const [variable, secret] of Object.entries(SECRETS))
    assert.ok(!output.includes(secret), `${variable}'s value was printed:\n${output}`);
}

interface Row {
  readonly name: string;
  readonly args: () => string[];
  /** Exit 2: bad input; exit 1: anything else (README). */
  readonly code: 1 | 2;
  /** What the message must name. */
  readonly names: () => RegExp;
  /** Changes to the base project's floe.yaml or features.ts; the row then runs in a copy of the project. */
  readonly yaml?: (base: string) => string;
  readonly features?: (base: string) => string;
  /** A file of the source table damaged while the row runs. */
  readonly damage?: () => { file: string; how: (bytes: Buffer, file: string) => Promise<void> };
  /** Run in a folder with no floe.yaml. */
  readonly noProject?: boolean;
  /** Found by the worker, so a workflow starts; every other row is refused before one does. */
  readonly inWorkflow?: true;
}

const LONG = 'v'.repeat(5_000);
const withView = (view: string): string => `export const extra = defineFeatureView({ ${view} });\n`;
const driverView = (fields: string): string =>
  withView(`entities: ['driver'], source: 'driver_stats', features: [{ name: 'conv_rate', type: 'double' }], ${fields}`);

const cliRows: Row[] = [
  {
    name: 'CLI: an unknown feature view',
    args: () => ['materialize', 'no_such_view', '--start', DAY2.start, '--end', DAY2.end],
    code: 2,
    names: () => new RegExp(`No feature view named "no_such_view"; defined: ${VIEW}`),
  },
  {
    name: 'CLI: --start that is no instant',
    args: () => ['materialize', VIEW, '--start', 'yesterday', '--end', DAY2.end],
    code: 2,
    names: () => /--start "yesterday" is not an ISO-8601 instant/,
  },
  {
    name: 'CLI: --end before --start',
    args: () => ['materialize', VIEW, '--start', DAY2.end, '--end', DAY2.start],
    code: 2,
    names: () => /--end 2024-05-02T00:00:00Z must be after --start 2024-05-03T00:00:00Z/,
  },
  {
    name: 'CLI: --end in the year 10000',
    args: () => ['materialize', VIEW, '--start', DAY2.start, '--end', '+010000-01-01T00:00:00Z'],
    code: 2,
    names: () => /--end "\+010000-01-01T00:00:00Z" is outside the years 1970–9999/,
  },
  {
    name: 'CLI: --end in the future',
    args: () => ['materialize-incremental', VIEW, '--end', new Date(Date.now() + 86_400_000).toISOString()],
    code: 2,
    names: () => new RegExp(`Feature view ${VIEW}: --end \\S+ is after`),
  },
  {
    name: 'CLI: a --chunk that is no duration',
    args: () => ['backfill', VIEW, '--start', DAY2.start, '--end', DAY2.end, '--chunk', 'banana'],
    code: 2,
    names: () => /--chunk "banana" is not a duration/,
  },
  {
    name: 'CLI: --max-chunks 0',
    args: () => ['backfill', VIEW, '--start', DAY2.start, '--end', DAY2.end, '--max-chunks', '0'],
    code: 2,
    names: () => /--max-chunks must be a positive integer, got 0/,
  },
  {
    name: 'CLI: a backfill over --max-chunks',
    args: () => ['backfill', VIEW, '--start', '2024-01-01T00:00:00Z', '--end', DAY2.end, '--chunk', '1m', '--max-chunks', '10'],
    code: 2,
    names: () => /chunks, more than --max-chunks 10/,
  },
  {
    name: 'CLI: --port out of range',
    args: () => ['serve', '--port', '70000'],
    code: 2,
    names: () => /--port must be an integer from 0 to 65535, got "70000"/,
  },
  {
    name: 'CLI: get-online without --entity',
    args: () => ['get-online', `${VIEW}:conv_rate`],
    code: 2,
    names: () => /--entity driver_id=1001,1002/,
  },
  {
    name: 'CLI: get-online with a malformed --entity',
    args: () => ['get-online', `${VIEW}:conv_rate`, '--entity', 'driver_id'],
    code: 2,
    names: () => /--entity "driver_id" must look like key=value/,
  },
  {
    name: 'CLI: get-online of an unknown feature',
    args: () => ['get-online', `${VIEW}:no_such_feature`, '--entity', 'driver_id=1001'],
    code: 2,
    names: () => new RegExp(`Feature view ${VIEW} has no feature "no_such_feature"; it has: conv_rate`),
  },
  {
    name: 'CLI: training-set with neither entity option',
    args: () => ['training-set', '--features', `${VIEW}:conv_rate`, '--output', `datasets.none_${suffix}`],
    code: 2,
    names: () => /--entities-table <namespace\.table>, --entities-parquet <files\.\.\.> or --entities-csv/,
  },
  {
    name: 'CLI: an output table name past 128 characters',
    args: () => [
      'training-set',
      '--entities-parquet',
      entities('requests.parquet'),
      '--features',
      `${VIEW}:conv_rate`,
      '--output',
      `datasets.${'t'.repeat(129)}`,
    ],
    code: 2,
    names: () => /namespace and its table name must each be at most 128 characters/,
  },
  { name: 'CLI: an unknown command', args: () => ['materialise', VIEW], code: 2, names: () => /unknown command 'materialise'/ },
];

const definitionRows: Row[] = [
  {
    name: 'definitions: a 5,000-character view name',
    features: (base) => base + driverView(`name: '${LONG}'`),
    args: () => ['plan'],
    code: 2,
    names: () => /Invalid feature view v{40}… \(5000 characters\): name: must be at most 128 characters/,
  },
  {
    name: 'definitions: a 129-character feature name',
    features: (base) =>
      base +
      withView(
        `name: 'long_feature', entities: ['driver'], source: 'driver_stats', features: [{ name: '${'f'.repeat(129)}', type: 'double' }]`,
      ),
    args: () => ['plan'],
    code: 2,
    names: () => /Invalid feature view long_feature: features\.0\.name: must be at most 128 characters/,
  },
  {
    name: 'definitions: a 129-character join key',
    features: (base) =>
      `${base}export const rider = defineEntity({ name: 'rider', joinKeys: [{ name: '${'k'.repeat(129)}', type: 'long' }] });\n`,
    args: () => ['plan'],
    code: 2,
    names: () => /Invalid entity rider: joinKeys\.0\.name: must be at most 128 characters/,
  },
  {
    name: 'definitions: an online table name past 128 characters',
    features: (base) => base + driverView(`name: 'long_table', online: { table: 'floe_online.${'t'.repeat(129)}' }`),
    args: () => ['plan'],
    code: 2,
    names: () => /Invalid feature view long_table: online\.table: its namespace and its table name must each be at most 128 characters/,
  },
  {
    name: 'definitions: a view name with a hyphen',
    features: (base) => base + driverView(`name: 'driver-stats'`),
    args: () => ['plan'],
    code: 2,
    names: () => /Invalid feature view driver-stats: name: must be a letter or underscore/,
  },
  {
    name: 'definitions: a source table without a namespace',
    features: (base) =>
      `${base}export const flat = defineIcebergSource({ name: 'flat', table: 'driver_stats', timestampField: 'event_timestamp' });\n`,
    args: () => ['plan'],
    code: 2,
    names: () => /Invalid source flat: table: must be "namespace\.table"/,
  },
  {
    name: 'definitions: a reserved feature name',
    features: (base) =>
      base +
      driverView(`name: 'reserved', features: [{ name: 'event_ts', type: 'timestamptz' }]`).replace(
        `features: [{ name: 'conv_rate', type: 'double' }], `,
        '',
      ),
    args: () => ['plan'],
    code: 2,
    names: () => /feature view reserved: feature name "event_ts" is reserved/,
  },
  {
    name: 'definitions: a feature defined twice',
    features: (base) =>
      base +
      withView(
        `name: 'twice', entities: ['driver'], source: 'driver_stats', features: [{ name: 'conv_rate', type: 'double' }, { name: 'conv_rate', type: 'double' }]`,
      ),
    args: () => ['plan'],
    code: 2,
    names: () => /feature view twice: feature "conv_rate" is defined twice/,
  },
  {
    name: 'definitions: two views of one name',
    features: (base) => base + driverView(`name: '${VIEW}'`),
    args: () => ['plan'],
    code: 2,
    names: () => new RegExp(`Two feature view definitions are named "${VIEW}"`),
  },
  {
    name: 'definitions: an unknown entity',
    features: (base) =>
      base + withView(`name: 'orphan', entities: ['rider'], source: 'driver_stats', features: [{ name: 'conv_rate', type: 'double' }]`),
    args: () => ['plan'],
    code: 2,
    names: () => /Feature view orphan refers to "rider" in entities, which is not defined; defined: driver/,
  },
  {
    name: 'definitions: an unknown source',
    features: (base) =>
      base + withView(`name: 'orphan', entities: ['driver'], source: 'rider_stats', features: [{ name: 'conv_rate', type: 'double' }]`),
    args: () => ['plan'],
    code: 2,
    names: () => /Feature view orphan refers to "rider_stats" in source, which is not defined; defined: driver_stats/,
  },
  {
    name: 'definitions: a feature named like a join key',
    features: (base) =>
      base + withView(`name: 'clash', entities: ['driver'], source: 'driver_stats', features: [{ name: 'driver_id', type: 'long' }]`),
    args: () => ['plan'],
    code: 2,
    names: () => /Feature view clash: feature "driver_id" has the name of a join key/,
  },
  {
    name: 'definitions: a feature service of an unknown view',
    features: (base) =>
      `${base.replace('defineEntity,', 'defineEntity, defineFeatureService,')}export const model = defineFeatureService({ name: 'model', features: ['no_such_view:conv_rate'] });\n`,
    args: () => ['plan'],
    code: 2,
    names: () => /Feature service model refers to feature view "no_such_view", which is not defined/,
  },
  {
    name: 'definitions: a TypeScript syntax error',
    features: (base) => `${base}export const broken = defineFeatureView({ name: 'broken', \n`,
    args: () => ['plan'],
    code: 2,
    names: () => /Cannot load the definitions module \S*features\.ts/,
  },
  {
    name: 'definitions: a module that exports no definitions',
    features: () => 'export const nothing = 1;\n',
    args: () => ['plan'],
    code: 2,
    names: () => /features\.ts exports no definitions/,
  },
  {
    name: 'definitions: a view reading a column its source lacks',
    features: (base) =>
      base +
      driverView(`name: 'missing_column', features: [{ name: 'no_such_column', type: 'double' }]`).replace(
        `features: [{ name: 'conv_rate', type: 'double' }], `,
        '',
      ),
    args: () => ['plan'],
    code: 2,
    names: () => /Feature view missing_column: source driver_stats \(table rides\.driver_stats\) has no column "no_such_column"/,
  },
];

const catalogBlock = /catalog:\n(?: {2}.*\n)+/;
const yamlRows: Row[] = [
  {
    name: 'floe.yaml: missing',
    noProject: true,
    args: () => ['plan'],
    code: 2,
    names: () => /Cannot read the project file \S*floe\.yaml; run `npx floe init`/,
  },
  {
    name: 'floe.yaml: not YAML',
    yaml: (base) => `${base}online: [unclosed\n`,
    args: () => ['plan'],
    code: 2,
    names: () => /floe\.yaml is not valid YAML/,
  },
  {
    name: 'floe.yaml: no catalog',
    yaml: (base) => base.replace(catalogBlock, ''),
    args: () => ['plan'],
    code: 2,
    names: () => /floe\.yaml is invalid: catalog:/,
  },
  {
    name: 'floe.yaml: an unknown catalog type',
    yaml: (base) => base.replace('type: sql', 'type: hive'),
    args: () => ['plan'],
    code: 2,
    names: () => /floe\.yaml is invalid: catalog\.type:/,
  },
  {
    name: 'floe.yaml: an unknown key',
    yaml: (base) => `${base}catalogue: typo\n`,
    args: () => ['plan'],
    code: 2,
    names: () => /floe\.yaml is invalid: \(root\): Unrecognized key: "catalogue"/,
  },
  {
    name: 'floe.yaml: online.namespace with SQL in it',
    yaml: (base) => `${base}online:\n  namespace: "x'; DROP TABLE iceberg_tables; --"\n`,
    args: () => ['plan'],
    code: 2,
    names: () => /online\.namespace: must be letters, digits and underscores/,
  },
  {
    name: 'floe.yaml: a 129-character online.namespace',
    yaml: (base) => `${base}online:\n  namespace: ${'n'.repeat(129)}\n`,
    args: () => ['apply'],
    code: 2,
    names: () => /online\.namespace: must be at most 128 characters/,
  },
  {
    name: 'floe.yaml: a project name with a space',
    yaml: (base) => base.replace(/^project: .*$/m, 'project: bad input'),
    args: () => ['plan'],
    code: 2,
    names: () => /project: must be letters, digits, underscores or hyphens/,
  },
  {
    name: 'floe.yaml: a task queue with a space',
    yaml: (base) => base.replace(/taskQueue: .*/, 'taskQueue: two words'),
    args: () => ['plan'],
    code: 2,
    names: () => /temporal\.taskQueue: must not contain spaces or control characters/,
  },
  {
    name: 'floe.yaml: an engine.memoryLimit DuckDB does not take',
    yaml: (base) => `${base}engine:\n  memoryLimit: lots\n`,
    args: () => ['get-online', `${VIEW}:conv_rate`, '--entity', 'driver_id=1001'],
    code: 2,
    names: () => /floe\.yaml is invalid: engine\.memoryLimit: DuckDB refused memoryLimit "lots": Memory must have a number/,
  },
  {
    name: 'floe.yaml: an unset environment variable',
    yaml: (base) => base.replace('${FLOE_BAD_INPUT_KEY_ID}', '${FLOE_BAD_INPUT_UNSET}'),
    args: () => ['plan'],
    code: 2,
    names: () => /refers to the environment variable FLOE_BAD_INPUT_UNSET, which is not set/,
  },
  {
    name: 'floe.yaml: a secret in a setting that takes a number',
    yaml: (base) => `${base}engine:\n  threads: \${FLOE_BAD_INPUT_SECRET}\n`,
    args: () => ['plan'],
    code: 2,
    names: () => /floe\.yaml is invalid: engine\.threads:/,
  },
  {
    name: 'floe.yaml: a secret in a setting that takes a URL',
    yaml: (base) =>
      base.replace(catalogBlock, 'catalog:\n  type: rest\n  uri: ${FLOE_BAD_INPUT_TOKEN}\n  token: ${FLOE_BAD_INPUT_TOKEN}\n'),
    args: () => ['plan'],
    code: 2,
    names: () => /floe\.yaml is invalid: catalog\.uri:/,
  },
  {
    name: 'floe.yaml: a secret under an unknown key',
    yaml: (base) => base.replace('  s3:\n', '  s3:\n    secretKey: ${FLOE_BAD_INPUT_SECRET}\n'),
    args: () => ['plan'],
    code: 2,
    names: () => /floe\.yaml is invalid: catalog\.s3: Unrecognized key: "secretKey"/,
  },
];

const catalogRows: Row[] = [
  {
    name: 'catalog: a missing table',
    args: () => ['table', 'inspect', 'rides.no_such_table'],
    code: 2,
    names: () => /No table rides\.no_such_table in catalog floe_oracle/,
  },
  { name: 'catalog: a missing namespace', args: () => ['table', 'inspect', 'nowhere.driver_stats'], code: 2, names: () => /nowhere/ },
  {
    name: 'catalog: a source table that does not exist',
    features: (base) => base.replace('table: "rides.driver_stats"', 'table: "rides.no_such_table"'),
    args: () => ['plan'],
    code: 2,
    names: () => /rides\.no_such_table/,
  },
  {
    name: 'catalog: an unreachable REST catalog names the address and the setting',
    yaml: (base) =>
      base.replace(
        catalogBlock,
        `catalog:\n  type: rest\n  uri: http://${closedAddress}\n  token: \${FLOE_BAD_INPUT_TOKEN}\n  warehouse: bad-input\nregistry:\n  location: ${path.join(directory, 'registry')}\n`,
      ),
    args: () => ['plan'],
    code: 1,
    names: () => new RegExp(`${escape(closedAddress)}[\\s\\S]*catalog\\.uri`),
  },
  {
    name: 'catalog: an unreachable Postgres catalog whose URI holds a password',
    yaml: (base) => base.replace(/^ {2}uri: .*$/m, `  uri: postgresql://floe:\${FLOE_BAD_INPUT_SECRET}@${closedAddress}/floe`),
    args: () => ['plan'],
    code: 1,
    names: () => new RegExp(`cannot connect to Postgres: .*${escape(closedAddress)}[\\s\\S]*catalog\\.uri in floe\\.yaml`),
  },
];

const tableFileRows: Row[] = [
  {
    name: 'table files: a missing metadata file',
    damage: () => ({ file: files.metadata, how: (_bytes, file) => rm(file) }),
    args: () => ['table', 'inspect', 'rides.driver_stats'],
    code: 1,
    // Named as missing, not as an unknown table, and without the metadata file's path.
    names: () =>
      /^(?![\s\S]*metadata\.json)[\s\S]*Table rides\.driver_stats is in catalog floe_oracle, but its current metadata file is missing, so it cannot be read/,
  },
  {
    name: 'table files: truncated metadata JSON',
    damage: () => ({ file: files.metadata, how: truncate(-300) }),
    args: () => ['table', 'inspect', 'rides.driver_stats'],
    code: 1,
    names: () => /rides\.driver_stats[\s\S]*expected Iceberg table metadata JSON/,
  },
  {
    name: 'table files: truncated metadata JSON under plan',
    damage: () => ({ file: files.metadata, how: truncate(-300) }),
    args: () => ['plan'],
    code: 2,
    names: () => /rides\.driver_stats[\s\S]*expected Iceberg table metadata JSON/,
  },
  {
    name: 'table files: an overwritten manifest list',
    damage: () => ({ file: files.manifestList, how: truncate(-100) }),
    args: () => ['table', 'inspect', 'rides.driver_stats'],
    code: 1,
    names: () => new RegExp(`${escape(files.manifestList)}|rides\\.driver_stats`),
  },
  {
    inWorkflow: true,
    name: 'table files: a data file with zeroed bytes',
    damage: () => ({ file: files.dataFile, how: zeroMiddle }),
    args: () => ['materialize', VIEW, '--start', DAY2.start, '--end', DAY2.end],
    code: 1,
    names: () =>
      new RegExp(
        `${escape(files.dataFile.replace(/^file:\/\//, ''))}[\\s\\S]*rides\\.driver_stats|rides\\.driver_stats[\\s\\S]*expected a Parquet file`,
      ),
  },
  {
    inWorkflow: true,
    name: 'table files: a data file with a truncated footer',
    damage: () => ({ file: files.dataFile, how: truncate(20) }),
    // Another window than the zeroed-bytes row's: its workflow id is taken by that failed run.
    args: () => ['materialize', VIEW, '--start', DAY2.start, '--end', '2024-05-02T12:00:00Z'],
    code: 1,
    // DuckDB's reason names the file by its location, once (not `file://file://…`).
    names: () =>
      new RegExp(
        `Data file ${escape(files.dataFile)} of table rides\\.driver_stats is not a readable Parquet file \\(.*'${escape(files.dataFile)}'`,
      ),
  },
];

const entityFileRows: Row[] = [
  {
    name: 'entity files: missing',
    args: () => [
      'training-set',
      '--entities-parquet',
      entities('missing.parquet'),
      '--features',
      `${VIEW}:conv_rate`,
      '--output',
      `datasets.missing_${suffix}`,
    ],
    code: 2,
    names: () => new RegExp(`The entity Parquet file ${escape(entities('missing.parquet'))} does not exist`),
  },
  {
    inWorkflow: true,
    name: 'entity files: not Parquet',
    args: () => [
      'training-set',
      '--entities-parquet',
      entities('not-parquet.parquet'),
      '--features',
      `${VIEW}:conv_rate`,
      '--output',
      `datasets.text_${suffix}`,
    ],
    code: 2,
    names: () => new RegExp(escape(entities('not-parquet.parquet'))),
  },
  {
    inWorkflow: true,
    name: 'entity files: no timestamp column',
    args: () => [
      'training-set',
      '--entities-parquet',
      entities('no-timestamp.parquet'),
      '--features',
      `${VIEW}:conv_rate`,
      '--output',
      `datasets.nots_${suffix}`,
    ],
    code: 2,
    names: () => /event_timestamp/,
  },
  {
    inWorkflow: true,
    name: 'entity files: an entity table that does not exist',
    args: () => [
      'training-set',
      '--entities-table',
      'rides.no_such_requests',
      '--features',
      `${VIEW}:conv_rate`,
      '--output',
      `datasets.notable_${suffix}`,
    ],
    code: 2,
    names: () => /The entity table rides\.no_such_requests does not exist/,
  },
];

/** The row's project: the shared one, or a copy with its own floe.yaml / features.ts in a folder of its own. */
async function projectFor(row: Row, index: number): Promise<string> {
  if (!row.yaml && !row.features && !row.noProject) return directory;
  const variant = path.join(directory, 'variants', String(index));
  await mkdir(variant, { recursive: true });
  if (row.noProject) return variant;
  await writeFile(path.join(variant, 'package.json'), '{"type": "module"}\n');
  await writeFile(path.join(variant, 'features.ts'), row.features ? row.features(baseFeatures) : baseFeatures);
  await writeFile(path.join(variant, 'floe.yaml'), row.yaml ? row.yaml(baseYaml) : baseYaml);
  return variant;
}

async function runRow(row: Row, project: string): Promise<{ run: CommandResult; before: CatalogState; after: CatalogState }> {
  const damage = row.damage?.();
  const go = async () => {
    const before = await catalogState();
    const run = await floeCommand([...row.args(), '--project', project], { env });
    return { run, before, after: await catalogState() };
  };
  return damage ? withDamagedFile(damage.file, damage.how, go) : go();
}

const rows = [...cliRows, ...definitionRows, ...yamlRows, ...catalogRows, ...tableFileRows, ...entityFileRows];

describe('bad input through the floe command', () => {
  rows.forEach((row, index) => {
    test(row.name, async (t) => {
      const project = await projectFor(row, index);
      const { run, before, after } = await runRow(row, project);
      const output = `${run.stdout}\n${run.stderr}`;
      t.diagnostic(run.stderr.trim() || run.stdout.trim());
      assert.equal(run.code, row.code, `exit code ${run.code}:\n${output}`);
      // `floe plan` prints its problems with the plan, on stdout.
      assert.match(output, row.names());
      assert.doesNotMatch(run.stderr, /LINE 1|SELECT /, 'no DuckDB SQL');
      // What training-set and backfill print once their workflow has started.
      if (!row.inWorkflow) assert.doesNotMatch(run.stderr, /^Following /m, 'a workflow was started');
      assertClean(output);
      assert.deepEqual(after, before, 'a table or the catalog changed');
    });
  });
});

interface ServerRow {
  readonly name: string;
  readonly body: string;
  readonly path?: string;
  readonly status: number;
  readonly names: () => RegExp;
}

const serverRows: ServerRow[] = [
  { name: 'server: a body that is not JSON', body: '{"features": [', status: 400, names: () => /JSON/ },
  {
    name: 'server: a body without entities',
    body: JSON.stringify({ features: [`${VIEW}:conv_rate`] }),
    status: 400,
    names: () => /entities/,
  },
  {
    name: 'server: an unknown feature view',
    body: JSON.stringify({ features: ['no_such_view:conv_rate'], entities: { driver_id: [1001] } }),
    status: 404,
    names: () => /No feature view named "no_such_view"/,
  },
  {
    name: 'server: an unknown feature',
    body: JSON.stringify({ features: [`${VIEW}:no_such_feature`], entities: { driver_id: [1001] } }),
    status: 404,
    names: () => new RegExp(`Feature view ${VIEW} has no feature "no_such_feature"`),
  },
  {
    name: 'server: an unknown feature service',
    body: JSON.stringify({ feature_service: 'no_such_service', entities: { driver_id: [1001] } }),
    status: 404,
    names: () => /"no_such_service"/,
  },
  {
    name: 'server: a join key of the wrong type',
    body: JSON.stringify({ features: [`${VIEW}:conv_rate`], entities: { driver_id: ['not-a-number'] } }),
    status: 400,
    names: () => /driver_id/,
  },
  {
    name: 'server: a missing join key',
    body: JSON.stringify({ features: [`${VIEW}:conv_rate`], entities: { rider_id: [1] } }),
    status: 400,
    names: () => /driver_id/,
  },
  {
    name: 'server: entity columns of different lengths',
    body: JSON.stringify({ features: [`${VIEW}:conv_rate`], entities: { driver_id: [1001, 1002], city: ['ams'] } }),
    status: 400,
    names: () => /driver_id has 2 values, city has 1/,
  },
  {
    name: 'server: an unknown route',
    path: '/get-offline-features',
    body: '{}',
    status: 404,
    names: () => /No route POST \/get-offline-features/,
  },
];

describe('bad input to floe serve', () => {
  for (const row of serverRows) {
    test(row.name, async (t) => {
      const before = await catalogState();
      const response = await fetch(`${serverUrl}${row.path ?? '/get-online-features'}`, {
        method: 'POST',
        body: row.body,
        headers: { 'content-type': 'application/json' },
      });
      const text = await response.text();
      t.diagnostic(text);
      assert.equal(response.status, row.status, text);
      assert.match(serverError(JSON.parse(text)).message, row.names());
      assertClean(text);
      assert.deepEqual(await catalogState(), before, 'a table or the catalog changed');
    });
  }
});
