// services: temporal, python
// Feast's own Python client against Floe's offline endpoint (issue #52, item 1): a Feast repository
// whose feature_store.yaml says `offline_store: {type: remote, host, port}` (the port of
// `floe serve --offline-port`) calls store.get_historical_features(entity_df, features).to_df() with
// feature references, a feature service, full feature names and an on-demand view fed by request
// data. Every value Feast answers is compared with what `floe training-set` saves for the same
// entity rows (read back by pyiceberg). Feast 0.67 reads with one do_exchange, Feast 0.60 with
// do_put, get_flight_info and do_get; the source pulls of Feast's materialization are compared with
// the source rows. With server.auth and server.tls, Feast's client reads over TLS with its bearer
// token, and a call without it is refused. Feast's offline writes (write_to_offline_store, what
// store.push(to=OFFLINE) calls) append to the source table through Floe's push, exactly once per
// command_id, and a bad column is refused by name. Feast's saved datasets (persist) become Iceberg
// tables holding what floe training-set saves, and its feature logs rows of feature_logs.<service>.
// One floe serve has one writer: an HTTP push and a Feast offline write share one group commit.
// Views renamed in feature services (`fv.with_name`, sent as name_aliases) and retrieval by
// start_date/end_date with no entity DataFrame are compared, with both Feast lines, with Feast alone
// (its file offline store on the Iceberg table's own Parquet data files) and with the source rows.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { FeatureStore } from '../../../features/feature-store.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { floeCommand, startWorker, stopWorker, writeCliProject } from '../../support/cli-project.js';
import { rideFeaturesSource } from '../../support/features/ride-features-source.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import type { SourceTable } from '../../support/pipelines/pipeline.js';
import type { DriverStatsRow } from '../../support/driver-stats.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { oldFeastPython, pythonOracle } from '../../support/services.js';
import { runPython, stopPythonServers } from '../../support/python-fork-server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(HERE, 'offline_driver.py');
const FLOE = path.join(HERE, '..', '..', '..', 'bin', 'floe.js');
const VIEW = 'driver_hourly_stats';
const TOKEN = `feast-notebook-${randomUUID()}`;

const directory = scratchFolder('feast-offline-store');
const secured = path.join(directory, 'secured');
const csv = path.join(directory, 'rides.csv');
let source: SourceTable;
let worker: ChildProcess | undefined;
const servers: ChildProcess[] = [];
let open: Served;
let guarded: Served;

interface Served {
  readonly url: string;
  readonly offlinePort: number;
  /** The server's certificate, when it serves TLS (server.tls). */
  readonly cert?: string;
}

const onDemandDefinitions = rideFeaturesSource(
  VIEW,
  `export const statsPush = definePushSource({ name: 'driver_stats_push', batchSource: 'driver_stats' });
export const probe = defineRequestSource({ name: 'probe', fields: [{ name: 'vector', type: 'list<double>' }] });
export const probed = defineOnDemandView({
  name: 'probed',
  sources: ['${VIEW}:conv_rate', probe],
  features: [{ name: 'scaled', type: 'list<double>' }],
  compute: ({ ${VIEW}: stats, probe: request }) => {
    const conv = (stats?.conv_rate ?? null) as number | null;
    const vector = (request?.vector ?? null) as readonly (number | null)[] | null;
    return { scaled: conv === null || vector === null ? null : vector.map((item) => (item === null ? null : item * conv)) };
  },
});`,
);

// 30 rides over drivers 1001..1045 (1041 and up have no feature rows) at three times; every seventh has no distance.
const TIMES = ['2024-05-01T03:00:00Z', '2024-05-01T17:00:00Z', '2024-05-02T07:00:00Z'];
const RIDES = Array.from({ length: 30 }, (_, i) => ({
  ride_id: `r${String(i).padStart(2, '0')}`,
  driver_id: 1001 + ((i * 7) % 45),
  event_timestamp: TIMES[i % 3]!,
  distance_km: i % 7 === 0 ? null : (i % 5) + 0.5,
}));

before(async () => {
  source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: 'feast-offline-store', source, view: VIEW, viewFields: ['ttl: { hours: 6 }'] });
  const features = path.join(directory, 'features.ts');
  await writeFile(features, (await readFile(features, 'utf8')) + onDemandDefinitions);
  await writeFile(
    csv,
    [
      'ride_id,driver_id,event_timestamp,distance_km',
      ...RIDES.map((ride) => `${ride.ride_id},${ride.driver_id},${ride.event_timestamp},${ride.distance_km ?? ''}`),
    ].join('\n') + '\n',
  );
  // The same project behind server.auth: Feast's client proves itself with a bearer token.
  await mkdir(secured);
  await writeFile(path.join(secured, 'package.json'), '{"type": "module"}\n');
  await writeFile(path.join(secured, 'features.ts'), await readFile(features, 'utf8'));
  const digest = createHash('sha256').update(TOKEN).digest('hex');
  await promisify(execFile)('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost'],
    ...[
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      path.join(secured, 'key.pem'),
      '-out',
      path.join(secured, 'cert.pem'),
    ],
  ]);
  await writeFile(
    path.join(secured, 'floe.yaml'),
    (await readFile(path.join(directory, 'floe.yaml'), 'utf8')) +
      `server:\n  auth:\n    tokens:\n      - name: notebook\n        sha256: ${digest}\n        read: true\n  tls:\n    certFile: cert.pem\n    keyFile: key.pem\n`,
  );
  worker = startWorker(directory);
  open = await startServe(directory);
  guarded = { ...(await startServe(secured)), cert: path.join(secured, 'cert.pem') };
});

after(async () => {
  for (const server of servers) await stopWorker(server);
  await stopWorker(worker);
  await stopPythonServers();
});

function startServe(project: string): Promise<Served> {
  const server = spawn(process.execPath, [FLOE, 'serve', '--project', project, '--port', '0', '--offline-port', '0', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    server.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^\{[\s\S]*?^\}/m.exec(stdout);
      if (ready) {
        const printed = JSON.parse(ready[0]) as { url: string; offlineUrl: string };
        resolve({ url: printed.url, offlinePort: Number(new URL(printed.offlineUrl.replace(/^grpc\+(tcp|tls):/, 'http:')).port) });
      }
    });
    server.once('exit', (code) => reject(new Error(`floe serve exited with ${code} before listening:\n${stderr}`)));
  });
}

type Row = Record<string, unknown>;
interface Call {
  readonly name: string;
  /** Feast's SQL entity query, in place of entity_rows. */
  readonly entity_sql?: string;
  readonly features?: readonly string[];
  readonly feature_service?: string;
  readonly full_feature_names?: boolean;
  /** Entity rows, or none with a start_date/end_date window. */
  readonly entity_rows?: readonly Row[];
  readonly start_date?: string;
  readonly end_date?: string;
  /** Run on Feast alone (its file offline store) over the Parquet files in this folder, not on Floe. */
  readonly alone?: string;
}
interface Answer {
  readonly name: string;
  readonly ok: boolean;
  readonly columns?: string[];
  readonly rows?: Row[];
  readonly error?: string;
}

/** Runs the retrievals through Feast's client in one Python process (one repository), answers by call name. */
async function feast(python: string, calls: readonly Call[], server: Served, token?: string): Promise<Map<string, Answer>> {
  const repo = await mkdtemp(path.join(directory, 'feast-repo-'));
  const { FEAST_OIDC_TOKEN: _inherited, ...env } = process.env;
  const { code, stdout, stderr } = await runPython(
    python,
    DRIVER,
    [
      repo,
      '127.0.0.1',
      String(server.offlinePort),
      server.url,
      token === undefined ? 'no_auth' : 'oidc',
      ...(server.cert === undefined ? [] : [server.cert]),
    ],
    { env: token === undefined ? env : { ...env, FEAST_OIDC_TOKEN: token }, stdin: JSON.stringify(calls) },
  );
  assert.equal(code, 0, `the Feast driver failed:\n${stderr.slice(-4000)}`);
  const answers = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Answer);
  assert.equal(answers.length, calls.length, `answers:\n${stdout}\n${stderr.slice(-2000)}`);
  return new Map(answers.map((answer) => [answer.name, answer]));
}

/** What `floe training-set` saves for the same entity rows and selection, read back by pyiceberg. */
async function trainingSet(call: Call, output: string): Promise<Row[]> {
  const selection = call.feature_service !== undefined ? ['--feature-service', call.feature_service] : ['--features', ...call.features!];
  const result = await floeCommand(
    [
      'training-set',
      '--entities-csv',
      csv,
      ...selection,
      ...(call.full_feature_names === true ? ['--full-feature-names'] : []),
      '--output',
      output,
      '--project',
      directory,
      '--json',
    ],
    { cwd: directory },
  );
  assert.equal(result.code, 0, result.stdout + result.stderr);
  return (await runPyiceberg<{ rows: Row[] }>('read', { catalog: source.oracle, identifier: output })).rows;
}

/** Rows by ride, only the given columns, numbers as numbers. */
function byRide(rows: readonly Row[], columns: readonly string[]): Row[] {
  return [...rows]
    .map((row) => Object.fromEntries(['ride_id', ...columns].map((column) => [column, column in row ? normal(row[column]) : 'absent'])))
    .sort((a, b) => String(a.ride_id).localeCompare(String(b.ride_id)));
}

/** pyiceberg's JSON gives longs as text (exact); Feast's as numbers (these fit a double). */
function normal(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return value ?? null;
}

/** The feature columns of a saved training set: every column but the entity rows' own. */
function featureColumns(rows: readonly Row[]): string[] {
  return Object.keys(rows[0] ?? {}).filter((column) => !['ride_id', 'driver_id', 'event_timestamp', 'distance_km'].includes(column));
}

const PLAIN: Call = {
  name: 'feature references',
  features: [`${VIEW}:conv_rate`, `${VIEW}:acc_rate`, `${VIEW}:avg_daily_trips`],
  entity_rows: RIDES,
};
const CALLS: readonly Call[] = [
  PLAIN,
  { name: 'full feature names', features: [`${VIEW}:conv_rate`, `${VIEW}:avg_daily_trips`], full_feature_names: true, entity_rows: RIDES },
  { name: 'feature service with an on-demand view', feature_service: 'model', entity_rows: RIDES },
  { name: 'on-demand feature with request data', features: ['ride_features:trips_per_km', `${VIEW}:conv_rate`], entity_rows: RIDES },
  { name: 'on-demand list feature', features: ['ride_vector:pair', `${VIEW}:conv_rate`], entity_rows: RIDES },
];

/**
 * Feast's answer holds every column `floe training-set` saves, with the same values ride by ride.
 * Feast 0.67 also asks for the inputs of an on-demand view (it adds every feature of a view the
 * on-demand view reads to the references it sends), so its answer may hold those features besides.
 */
function assertSameAsTrainingSet(answer: Answer, saved: readonly Row[]): void {
  assert.ok(answer.ok, `${answer.name}: ${answer.error}`);
  const columns = featureColumns(saved);
  assert.ok(columns.length > 0, answer.name);
  const extra = answer.columns!.filter(
    (column) => !columns.includes(column) && !['ride_id', 'driver_id', 'event_timestamp', 'distance_km'].includes(column),
  );
  assert.ok(
    extra.every((column) => ['conv_rate', 'acc_rate', 'avg_daily_trips'].includes(column)),
    `${answer.name}: unexpected columns ${extra.join(', ')}`,
  );
  assert.deepEqual(byRide(answer.rows!, ['driver_id', ...columns]), byRide(saved, ['driver_id', ...columns]), answer.name);
  assert.equal(answer.rows!.length, RIDES.length, answer.name);
}

describe("Feast 0.67's remote offline store client (do_exchange)", () => {
  let answers: Map<string, Answer>;
  before(async () => {
    answers = await feast(pythonOracle().python, CALLS, open);
  });

  for (const [index, call] of CALLS.entries()) {
    test(`get_historical_features, ${call.name}: the values floe training-set saves`, async () => {
      const answer = answers.get(call.name)!;
      assertSameAsTrainingSet(answer, await trainingSet(call, `datasets.feast_offline_${index}`));
      if (call.full_feature_names === true) assert.ok(answer.columns!.includes(`${VIEW}__conv_rate`), answer.columns!.join());
      const column = [`${VIEW}__conv_rate`, 'conv_rate', 'acc_rate'].find((name) => answer.columns!.includes(name))!;
      const values = answer.rows!.map((row) => row[column]);
      assert.ok(
        values.some((value) => typeof value === 'number') && values.some((value) => value === null),
        'some rides have features, some none',
      );
    });
  }

  test('an on-demand list feature reaches Feast as a list per ride, its items the inputs and nulls inside kept', () => {
    const answer = answers.get('on-demand list feature')!;
    assert.ok(answer.ok, answer.error);
    for (const row of answer.rows!) {
      const ride = RIDES.find((candidate) => candidate.ride_id === row.ride_id)!;
      assert.deepEqual(row.pair, row.conv_rate === null ? null : [row.conv_rate, ride.distance_km], String(row.ride_id));
    }
    assert.ok(answer.rows!.some((row) => row.pair !== null && (row.pair as unknown[])[1] === null));
    assert.ok(answer.rows!.some((row) => row.pair === null));
  });

  test("a list request field (a probe vector) goes from Feast's entity DataFrame to compute, nulls kept", async () => {
    const rows = RIDES.slice(0, 12).map((ride, index) => ({
      ...ride,
      vector: index % 6 === 5 ? null : index % 4 === 0 ? [index + 0.5, null] : [index + 0.5, 0.25],
    }));
    const call = { name: 'list request field', features: ['probed:scaled', `${VIEW}:conv_rate`], entity_rows: rows };
    const answer = (await feast(pythonOracle().python, [call], open)).get(call.name)!;
    assert.ok(answer.ok, answer.error);
    assert.equal(answer.rows!.length, rows.length);
    for (const row of answer.rows!) {
      const { vector } = rows.find((sent) => sent.ride_id === row.ride_id)!;
      const conv = row.conv_rate as number | null;
      const scaled = conv === null || vector === null ? null : vector.map((item) => (item === null ? null : item * conv));
      assert.deepEqual(row.scaled, scaled, String(row.ride_id));
    }
    assert.ok(answer.rows!.some((row) => Array.isArray(row.scaled) && (row.scaled as unknown[])[1] === null));
  });

  test('get_historical_features with a SQL entity query (over Floe source names): what getHistoricalFeatures answers for it', async () => {
    const sql =
      "SELECT driver_id, event_timestamp FROM driver_stats WHERE driver_id IN (1001, 1002, 1003) AND event_timestamp < TIMESTAMPTZ '2024-05-01 12:00:00+00'";
    const call = { name: 'entity query', entity_sql: sql, features: [`${VIEW}:conv_rate`, `${VIEW}:avg_daily_trips`], entity_rows: [] };
    const answer = (await feast(pythonOracle().python, [call], open)).get(call.name)!;
    assert.ok(answer.ok, answer.error);
    const store = await FeatureStore.open(directory);
    let expected: Row[];
    try {
      const table = await store.getHistoricalFeatures({ entities: { sql }, features: call.features }).toArrow();
      expected = table.toArray().map((row: { toJSON(): Row }) => row.toJSON());
    } finally {
      await store.close();
    }
    const values = (rows: readonly Row[]) =>
      rows.map((row) => [normal(row.driver_id), normal(row.conv_rate), normal(row.avg_daily_trips)].join('|')).sort();
    assert.ok(expected.length > 6, 'the query picks several rows');
    assert.deepEqual(values(answer.rows!), values(expected));
  });

  test("a view Floe does not define is refused with Feast's own exception, Floe's message kept", async () => {
    const call = { name: 'unknown view', features: ['feast_only_view:x'], entity_rows: RIDES.slice(0, 2) };
    const answer = (await feast(pythonOracle().python, [call], open)).get(call.name)!;
    assert.equal(answer.ok, false);
    assert.match(answer.error!, /^FeastError: .*"feast_only_view", which is not defined/);
  });
});

/** The folder of the Parquet data files of the source's Iceberg table, which Feast alone reads with its file offline store. */
async function sourceDataFolder(): Promise<string> {
  const { metadata } = await runPyiceberg<{ metadata: { location: string } }>('load_metadata', {
    catalog: source.oracle,
    identifier: source.table,
  });
  return path.join(metadata.location.replace(/^file:\/\//, ''), 'data');
}

const ENTITY_COLUMNS = ['ride_id', 'driver_id', 'event_timestamp', 'distance_km'];

const TTL_MS = 6 * 3_600_000;

/**
 * The source rows a point-in-time join of a driver at an instant may pick: those at the latest event
 * time within the TTL before it (exactly TTL old is still fresh), several when a correction ties on
 * the event time, the latest created first (the one Feast documents and Floe picks). None: no fresh row.
 */
function candidates(driver: number, at: string): DriverStatsRow[] {
  const time = Date.parse(at);
  const fresh = source.rows.filter(
    (row) => row.driver_id === driver && Date.parse(row.event_timestamp) <= time && Date.parse(row.event_timestamp) >= time - TTL_MS,
  );
  const latest = Math.max(...fresh.map((row) => Date.parse(row.event_timestamp)));
  return fresh.filter((row) => Date.parse(row.event_timestamp) === latest).sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
}

/**
 * Floe's answer against the source rows and against Feast alone's (its file offline store on the
 * same data files), row by row on `key`, both with the same columns. Every Floe row holds the
 * features of the source row the join must pick (by `candidates`), nulls when none is fresh. Every
 * row Feast answers has Floe's entity columns and, for each read of the view (each alias), the
 * features of one of the candidates: Feast's file (dask) store picks any row of a created-time tie
 * (it sorts by created time, then by event time, and that sort is not stable across its
 * partitions), against its documentation. The rows it does not answer are those it drops for a key
 * with no fresh feature row (feast-parity.test.ts records the same): Floe keeps them, every feature
 * NULL. Returns how many rows Feast lost.
 */
function assertAgainstFeastAlone(floe: Answer, feast: Answer, key: 'ride_id' | 'driver_id'): number {
  assert.ok(floe.ok, `${floe.name} on Floe: ${floe.error}`);
  assert.ok(feast.ok, `${feast.name} on Feast alone: ${feast.error}`);
  assert.deepEqual([...floe.columns!].sort(), [...feast.columns!].sort(), `${floe.name}: columns`);
  const features = floe.columns!.filter((column) => !ENTITY_COLUMNS.includes(column));
  const entity = floe.columns!.filter((column) => ENTITY_COLUMNS.includes(column));
  // `recent__conv_rate` and `conv_rate` are both the source's conv_rate.
  const valuesOf = (picked: DriverStatsRow | undefined) =>
    features.map((column) => (picked === undefined ? null : picked[column.split('__').at(-1) as keyof DriverStatsRow]));
  const answered = (row: Row, columns: readonly string[]) => columns.map((column) => normal(row[column]));
  const feastRows = new Map(feast.rows!.map((row) => [row[key], row]));
  assert.equal(feastRows.size, feast.rows!.length, `${feast.name}: one row per ${key}`);
  let lost = 0;
  for (const row of floe.rows!) {
    const what = `${floe.name}: ${key} ${String(row[key])}`;
    const picks = candidates(Number(row.driver_id), String(row.event_timestamp));
    assert.deepEqual(answered(row, features), valuesOf(picks[0]), `${what}: the latest fresh row, the latest created of a tie`);
    const feastRow = feastRows.get(row[key]);
    if (feastRow === undefined) {
      assert.equal(picks.length, 0, `${what}: Feast's file store drops it, yet it has fresh features`);
      lost += 1;
      continue;
    }
    assert.deepEqual(answered(feastRow, entity), answered(row, entity), `${what}: entity columns`);
    // Each read of the view (each alias, the prefix of its full names) picks on its own.
    const readOf = (column: string) => column.split('__').slice(0, -1).join('__');
    for (const read of new Set(features.map(readOf))) {
      const columns = features.filter((column) => readOf(column) === read);
      const feastValues = answered(feastRow, columns);
      const expected = (pick: DriverStatsRow | undefined) => columns.map((column) => valuesOf(pick)[features.indexOf(column)]);
      assert.ok(
        picks.length === 0
          ? isDeepStrictEqual(feastValues, expected(undefined))
          : picks.some((pick) => isDeepStrictEqual(feastValues, expected(pick))),
        `${what}: Feast alone answers ${JSON.stringify(feastValues)} for ${columns.join(', ')}, no row of ${JSON.stringify(picks)}`,
      );
    }
  }
  assert.equal(feast.rows!.length + lost, floe.rows!.length, `${floe.name}: Feast answers no row Floe does not`);
  return lost;
}

const FEATURES = [`${VIEW}:conv_rate`, `${VIEW}:acc_rate`, `${VIEW}:avg_daily_trips`];
/** Feature services of the Feast repository (offline_driver.py) projecting the view under other names. */
const RENAMED: readonly Call[] = [
  { name: 'a view renamed in a feature service', feature_service: 'renamed', entity_rows: RIDES },
  {
    name: 'a view renamed in a feature service, full feature names',
    feature_service: 'renamed',
    full_feature_names: true,
    entity_rows: RIDES,
  },
  { name: 'one view under two names, full feature names', feature_service: 'twice', full_feature_names: true, entity_rows: RIDES },
];
/** 2024-05-02T08:00 is past the TTL (6 h) after drivers 1039 and 1040 stop reporting (2024-05-02T00:00). */
const WINDOW_END = '2024-05-02T08:00:00+00:00';
const WINDOWS: readonly Call[] = [
  { name: 'a window of the TTL (no start_date)', features: FEATURES, end_date: WINDOW_END },
  {
    name: 'a window of the TTL, full feature names',
    features: FEATURES,
    full_feature_names: true,
    start_date: '2024-05-02T02:00:00+00:00',
    end_date: WINDOW_END,
  },
  { name: 'a window longer than the TTL', features: FEATURES, start_date: '2024-05-01T00:00:00+00:00', end_date: WINDOW_END },
];

for (const [line, python] of [
  ['0.67', () => pythonOracle().python],
  ['0.60', oldFeastPython],
] as const) {
  describe(`Feast ${line}: views renamed in a feature service (name_aliases) and retrieval by start_date/end_date, against Feast alone on the same data`, () => {
    let onFloe: Map<string, Answer>;
    let alone: Map<string, Answer>;
    before(async () => {
      const calls = [...RENAMED, ...WINDOWS];
      onFloe = await feast(python(), calls, open);
      const data = await sourceDataFolder();
      alone = await feast(
        python(),
        calls.map((call) => ({ ...call, alone: data })),
        open,
      );
    });

    test('a renamed view reads the view: its features named by the feature alone, or alias__feature with full feature names', () => {
      for (const call of RENAMED) assertAgainstFeastAlone(onFloe.get(call.name)!, alone.get(call.name)!, 'ride_id');
      assert.deepEqual(onFloe.get(RENAMED[0]!.name)!.columns, [...ENTITY_COLUMNS, 'conv_rate', 'acc_rate', 'avg_daily_trips']);
      assert.deepEqual(onFloe.get(RENAMED[1]!.name)!.columns, [
        ...ENTITY_COLUMNS,
        'recent__conv_rate',
        'recent__acc_rate',
        'recent__avg_daily_trips',
      ]);
      const twice = onFloe.get(RENAMED[2]!.name)!;
      assert.deepEqual(twice.columns, [...ENTITY_COLUMNS, 'recent__conv_rate', 'earlier__acc_rate', 'earlier__avg_daily_trips']);
      const fresh = twice.rows!.filter((row) => row.recent__conv_rate !== null);
      assert.ok(fresh.length > 10 && fresh.length < RIDES.length, 'some rides have features, some none');
    });

    test('a window gives each driver seen in it once, as of end_date, with its features then: what Feast alone gives when the window is the TTL', () => {
      for (const call of WINDOWS.slice(0, 2)) {
        assert.equal(assertAgainstFeastAlone(onFloe.get(call.name)!, alone.get(call.name)!, 'driver_id'), 0, call.name);
        const rows = onFloe.get(call.name)!.rows!;
        assert.equal(rows.length, 38, `${call.name}: every driver but 1039 and 1040, which stopped reporting`);
        assert.ok(rows.every((row) => row.event_timestamp === WINDOW_END));
      }
      assert.deepEqual(onFloe.get(WINDOWS[1]!.name)!.columns, [
        'event_timestamp',
        'driver_id',
        `${VIEW}__conv_rate`,
        `${VIEW}__acc_rate`,
        `${VIEW}__avg_daily_trips`,
      ]);
    });

    test("a window longer than the TTL also gives the drivers seen only before the TTL, with no features (Feast's file store leaves them out)", () => {
      const call = WINDOWS[2]!;
      assert.equal(assertAgainstFeastAlone(onFloe.get(call.name)!, alone.get(call.name)!, 'driver_id'), 2);
      assert.deepEqual(
        onFloe
          .get(call.name)!
          .rows!.filter((row) => row.conv_rate === null)
          .map((row) => normal(row.driver_id)),
        [1039, 1040],
      );
    });
  });
}

describe("Feast's source pulls (what its client-side materialization reads)", () => {
  const WINDOW = { start: '2024-05-01T06:00:00+00:00', end: '2024-05-02T06:00:00+00:00' };
  const pulls = [
    { name: 'pull_latest', op: 'pull_latest', feature_view: VIEW, ...WINDOW },
    { name: 'pull_all', op: 'pull_all', feature_view: VIEW, ...WINDOW },
  ];
  const inWindow = (row: { event_timestamp: string }) =>
    Date.parse(row.event_timestamp) >= Date.parse(WINDOW.start) && Date.parse(row.event_timestamp) <= Date.parse(WINDOW.end);
  const shape = (row: Row) => ({
    driver_id: Number(row.driver_id),
    conv_rate: row.conv_rate,
    acc_rate: row.acc_rate,
    avg_daily_trips: Number(row.avg_daily_trips),
    event_timestamp: new Date(String(row.event_timestamp)).toISOString(),
    created: new Date(String(row.created)).toISOString(),
  });
  const sorted = (rows: Row[]) =>
    rows
      .map(shape)
      .sort(
        (a, b) => a.driver_id - b.driver_id || a.event_timestamp.localeCompare(b.event_timestamp) || a.created.localeCompare(b.created),
      );

  test('pull_latest_from_table_or_query answers the latest row per driver in the window, pull_all every row in it', async () => {
    const answers = await feast(pythonOracle().python, pulls as unknown as Call[], open);
    for (const pull of pulls) assert.ok(answers.get(pull.name)!.ok, `${pull.name}: ${answers.get(pull.name)!.error}`);
    const rows = source.rows.filter(inWindow);
    const latest = new Map<number, (typeof rows)[number]>();
    for (const row of rows) {
      const current = latest.get(row.driver_id);
      if (current === undefined || [row.event_timestamp, row.created].join() > [current.event_timestamp, current.created].join())
        latest.set(row.driver_id, row);
    }
    assert.deepEqual(sorted(answers.get('pull_latest')!.rows!), sorted([...latest.values()] as unknown as Row[]));
    assert.deepEqual(sorted(answers.get('pull_all')!.rows!), sorted(rows as unknown as Row[]));
    assert.ok(latest.size > 10 && rows.length > latest.size, 'the window holds several rows of many drivers');
  });
});

describe("Feast's data source checks (feast apply's validation and column listing)", () => {
  test('validate_data_source accepts a Floe source, and the column listing gives its table columns as pyarrow types', async () => {
    const calls = [
      { name: 'validate', op: 'validate', data_source: 'driver_stats' },
      { name: 'columns', op: 'columns', data_source: 'driver_stats' },
    ];
    const answers = await feast(pythonOracle().python, calls as unknown as Call[], open);
    assert.ok(answers.get('validate')!.ok, answers.get('validate')!.error);
    const columns = answers.get('columns')!;
    assert.ok(columns.ok, columns.error);
    assert.deepEqual(columns.rows, [
      { name: 'driver_id', type: 'int64' },
      { name: 'conv_rate', type: 'double' },
      { name: 'acc_rate', type: 'double' },
      { name: 'avg_daily_trips', type: 'int64' },
      { name: 'event_timestamp', type: 'timestamp[us, tz=UTC]' },
      { name: 'created', type: 'timestamp[us, tz=UTC]' },
    ]);
  });
});

describe("Feast 0.60's remote offline store client (do_put, get_flight_info, do_get)", () => {
  test('get_historical_features with references and a feature service: the values floe training-set saves', async () => {
    const calls = [PLAIN, CALLS[2]!];
    const answers = await feast(oldFeastPython(), calls, open);
    assertSameAsTrainingSet(answers.get(PLAIN.name)!, await trainingSet(PLAIN, 'datasets.feast_old_plain'));
    assertSameAsTrainingSet(answers.get(CALLS[2]!.name)!, await trainingSet(CALLS[2]!, 'datasets.feast_old_service'));
  });
});

describe('with server.auth and server.tls', () => {
  test("Feast's client reads over TLS with its bearer token, and is refused without it or with a wrong one", async () => {
    const withToken = (await feast(pythonOracle().python, [PLAIN], guarded, TOKEN)).get(PLAIN.name)!;
    assertSameAsTrainingSet(withToken, await trainingSet(PLAIN, 'datasets.feast_offline_auth'));
    for (const token of [undefined, 'not-the-token']) {
      const refused = (await feast(pythonOracle().python, [PLAIN], guarded, token)).get(PLAIN.name)!;
      assert.equal(refused.ok, false, `token ${token}`);
      // Feast 0.67 maps a Flight error to its FeastError only in the calls it wraps: when the refusal
      // reaches its client while it is still writing the entity rows (begin/write_table/done_writing on
      // the exchange, unwrapped), it raises the Flight error itself, carrying the same message.
      assert.match(refused.error!, /^(FeastError: |FlightUnauthenticatedError: .*"message":")The offline endpoint needs credentials/);
      assert.doesNotMatch(refused.error!, /0\.\d{3}/, 'no feature value in the refusal');
    }
  });
});

/** A row of the source table as Feast's offline writes send it; the tests write them far after every ride, so the reads above are untouched. */
const offlineWriteRow = (driver: number, conv: number | string, at: string) => ({
  driver_id: driver,
  conv_rate: conv,
  acc_rate: 0.5,
  avg_daily_trips: 12,
  event_timestamp: at,
  created: at,
});

describe("Feast's offline writes (store.push to=OFFLINE, write_to_offline_store): appends to the source table, exactly once", () => {
  const sourceRows = async () =>
    (await runPyiceberg<{ rows: Row[] }>('read', { catalog: source.oracle, identifier: source.table })).rows.filter((row) =>
      String(row.event_timestamp).startsWith('2030-'),
    );

  test('write_to_offline_store appends the rows once, a resent do_put of the same command_id appends nothing, and a bad column is refused by name', async () => {
    const calls = [
      {
        name: 'write',
        op: 'offline_write',
        feature_view: VIEW,
        rows: [offlineWriteRow(1001, 0.125, '2030-01-01T00:00:00.000001Z'), offlineWriteRow(1002, 0.75, '2030-01-01T01:00:00Z')],
      },
      {
        name: 'resent',
        op: 'offline_write',
        resend: true,
        command_id: randomUUID(),
        feature_view: VIEW,
        rows: [offlineWriteRow(1003, 0.25, '2030-01-02T00:00:00Z')],
      },
      { name: 'bad column', op: 'offline_write', feature_view: VIEW, rows: [offlineWriteRow(1004, 'high', '2030-01-03T00:00:00Z')] },
    ];
    const answers = await feast(pythonOracle().python, calls as unknown as Call[], open);
    assert.ok(answers.get('write')!.ok, answers.get('write')!.error);
    assert.ok(answers.get('resent')!.ok, answers.get('resent')!.error);
    const refused = answers.get('bad column')!;
    assert.equal(refused.ok, false);
    assert.match(
      refused.error!,
      /^FeastError: Push to driver_stats_push: row 0, column conv_rate: expected a number \(double\), got string "high"/,
    );
    const rows = (await sourceRows())
      .map((row) => [normal(row.driver_id), row.conv_rate, new Date(String(row.event_timestamp)).toISOString()].join('|'))
      .sort();
    assert.deepEqual(rows, [
      '1001|0.125|2030-01-01T00:00:00.000Z',
      '1002|0.75|2030-01-01T01:00:00.000Z',
      '1003|0.25|2030-01-02T00:00:00.000Z',
    ]);
    const exact = (await sourceRows()).find((row) => normal(row.driver_id) === 1001)!;
    assert.match(String(exact.event_timestamp), /00:00:00\.000001/, 'microseconds kept');
  });
});

describe("Feast's saved datasets (create_saved_dataset with the remote offline store): an Iceberg table", () => {
  test('persist saves the retrieval as datasets.<stem of the storage path>, what floe training-set saves; an existing table is refused', async () => {
    const call = { ...PLAIN, name: 'persist', op: 'persist', dataset: 'driver_ds', path: 's3://bucket/training/feast_driver_ds.parquet' };
    const again = { ...call, name: 'persist again' };
    const answers = await feast(pythonOracle().python, [call, again] as unknown as Call[], open);
    assert.ok(answers.get('persist')!.ok, answers.get('persist')!.error);
    const saved = (await runPyiceberg<{ rows: Row[] }>('read', { catalog: source.oracle, identifier: 'datasets.feast_driver_ds' })).rows;
    const expected = await trainingSet(PLAIN, 'datasets.feast_persist_expected');
    const columns = featureColumns(expected);
    assert.deepEqual(byRide(saved, ['driver_id', ...columns]), byRide(expected, ['driver_id', ...columns]));
    assert.equal(saved.length, RIDES.length);
    const refused = answers.get('persist again')!;
    assert.equal(refused.ok, false);
    assert.match(refused.error!, /table datasets\.feast_driver_ds exists/);
  });
});

describe("Feast's feature logging (write_logged_features): appended to feature_logs.<service>, exactly once", () => {
  test('the logged rows land in feature_logs.model, a resent do_put of the same command_id appends nothing', async () => {
    const calls = [
      {
        name: 'log',
        op: 'log',
        feature_service: 'model',
        rows: [{ driver_id: 1001, acc_rate: 0.5, at: '2024-05-01T03:00:00.000001Z', request_id: 'q1' }],
      },
      {
        name: 'log resent',
        op: 'log',
        resend: true,
        command_id: randomUUID(),
        feature_service: 'model',
        rows: [{ driver_id: 1002, acc_rate: 0.25, at: '2024-05-01T04:00:00Z', request_id: 'q2' }],
      },
    ];
    const answers = await feast(pythonOracle().python, calls as unknown as Call[], open);
    for (const call of calls) assert.ok(answers.get(call.name)!.ok, answers.get(call.name)!.error);
    const logged = (await runPyiceberg<{ rows: Row[] }>('read', { catalog: source.oracle, identifier: 'feature_logs.model' })).rows;
    assert.deepEqual(logged.map((row) => [normal(row.driver_id), row.driver_hourly_stats__acc_rate, row.__request_id]).sort(), [
      [1001, 0.5, 'q1'],
      [1002, 0.25, 'q2'],
    ]);
    assert.match(String(logged.find((row) => row.__request_id === 'q1')!.__log_timestamp), /03:00:00\.000001/, 'microseconds kept');
  });
});

describe("one floe serve, one writer: POST /push and Feast's offline writes share one group commit", () => {
  test('an HTTP push and a Feast offline write to the same push source land together in one snapshot of the source table', async () => {
    // A batch commits once it holds 3 rows, or after 50 s (within the server's 60 s idle bound): only a
    // pusher both endpoints share gathers the push's 2 rows and the Feast write's 1 into one commit,
    // whichever arrives first; two writers would commit each after 50 s, in two snapshots.
    const grouped = path.join(directory, 'grouped');
    await mkdir(grouped);
    await writeFile(path.join(grouped, 'package.json'), '{"type": "module"}\n');
    await writeFile(path.join(grouped, 'features.ts'), await readFile(path.join(directory, 'features.ts'), 'utf8'));
    await writeFile(
      path.join(grouped, 'floe.yaml'),
      (await readFile(path.join(directory, 'floe.yaml'), 'utf8')) + 'push:\n  maxDelayMs: 50000\n  maxRows: 3\n',
    );
    const server = await startServe(grouped);
    const snapshots = async () =>
      (
        await runPyiceberg<{ rows: { summary: { key: string; value: string }[] }[] }>('inspect', {
          catalog: source.oracle,
          identifier: source.table,
          what: 'snapshots',
        })
      ).rows;
    const before = (await snapshots()).length;
    const pushed = [offlineWriteRow(1011, 0.5, '2031-01-01T00:00:00Z'), offlineWriteRow(1012, 0.625, '2031-01-01T01:00:00Z')];
    const push = fetch(`${server.url}/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        push_source_name: 'driver_stats_push',
        to: 'offline',
        df: Object.fromEntries(Object.keys(pushed[0]!).map((column) => [column, pushed.map((one) => one[column as keyof typeof one])])),
      }),
    });
    const written = { name: 'write', op: 'offline_write', feature_view: VIEW, rows: [offlineWriteRow(1013, 0.75, '2031-01-02T00:00:00Z')] };
    const answer = (await feast(pythonOracle().python, [written] as unknown as Call[], server)).get('write')!;
    assert.ok(answer.ok, answer.error);
    const response = await push;
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(((await response.json()) as { rows: number }).rows, 2);
    const after = await snapshots();
    assert.equal(after.length, before + 1, 'one snapshot for both requests');
    assert.equal(after.at(-1)!.summary.find((entry) => entry.key === 'added-records')?.value, '3');
    const rows = (await runPyiceberg<{ rows: Row[] }>('read', { catalog: source.oracle, identifier: source.table })).rows
      .filter((one) => String(one.event_timestamp).startsWith('2031-'))
      .map((one) => [normal(one.driver_id), one.conv_rate].join('|'))
      .sort();
    assert.deepEqual(rows, ['1011|0.5', '1012|0.625', '1013|0.75']);
  });
});
