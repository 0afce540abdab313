// services: temporal, python
// Feast's own Python client against Floe's registry endpoint (issue #52, item 2): a Feast
// repository whose feature_store.yaml names only Floe (`registry: {registry_type: remote, path}`
// on `floe serve --registry-port`, the online store on floe serve, the offline store on its Flight
// endpoint). `feast feature-views list`, `feast entities list`, `feast feature-services list` and the
// SDK's list_* and get_feature_service see Floe's definitions; get_online_features through a feature
// service answers what floe serve answers for it; `feast apply` of the same definitions is accepted
// and changes nothing, a changed one is refused naming the object and what differs. Feast 0.67 sees
// Iceberg sources as its IcebergSource; Feast 0.60, which has none, as FileSource
// (--registry-file-sources). With server.auth and server.tls a call without the token is refused.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { materializeWindow } from '../../../features/materialize/index.js';
import { loadProject } from '../../../features/project.js';
import { openRuntime } from '../../../features/runtime.js';
import { stopWorker, writeCliProject } from '../../support/cli-project.js';
import { rideFeaturesSource } from '../../support/features/ride-features-source.js';
import { createDriverStatsCatalog } from '../../support/pipelines/pipeline.js';
import { freePort } from '../../../scripts/services/ports.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { oldFeastPython, pythonOracle } from '../../support/services.js';
import { runPython, startPython, stopPythonServers, type PythonRun } from '../../support/python-fork-server.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DRIVER = path.join(HERE, 'registry_driver.py');
const FLOE = path.join(HERE, '..', '..', '..', 'bin', 'floe.js');
const PROJECT = 'feast_registry';
const VIEW = 'driver_hourly_stats';
const TOKEN = `feast-notebook-${randomUUID()}`;

const directory = scratchFolder('feast-registry');
const secured = path.join(directory, 'secured');
const servers: ChildProcess[] = [];

interface Served {
  readonly url: string;
  readonly offlinePort: number;
  readonly registry: string;
  readonly cert?: string;
}

const floeDefinitions = rideFeaturesSource(
  VIEW,
  `export const driverPush = definePushSource({ name: 'driver_push', batchSource: 'driver_stats' });
export const statsModel = defineFeatureService({ name: 'stats_model', features: ['${VIEW}:acc_rate', '${VIEW}:conv_rate'] });`,
);

/** The same definitions in Feast's Python, as `floe import feast` maps them; `ttl` changes the view's. */
function feastDefinitions(ttl = 'timedelta(0)'): string {
  return `from datetime import timedelta

import pandas as pd
from feast import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, RequestSource, ValueType
from feast.on_demand_feature_view import on_demand_feature_view
from feast.types import Array, Float64, Int64

driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
driver_stats = FileSource(name="driver_stats", path="unused.parquet", timestamp_field="event_timestamp", created_timestamp_column="created")
driver_push = PushSource(name="driver_push", batch_source=driver_stats)
stats = FeatureView(
    name="${VIEW}",
    entities=[driver],
    ttl=${ttl},
    schema=[Field(name="conv_rate", dtype=Float64), Field(name="acc_rate", dtype=Float64), Field(name="avg_daily_trips", dtype=Int64)],
    source=driver_stats,
)
ride = RequestSource(name="ride", schema=[Field(name="distance_km", dtype=Float64)])


@on_demand_feature_view(
    sources=[stats[["conv_rate", "avg_daily_trips"]], ride],
    schema=[Field(name="expected_conversions", dtype=Float64), Field(name="trips_per_km", dtype=Float64)],
)
def ride_features(inputs: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame()
    out["expected_conversions"] = inputs["conv_rate"] * inputs["distance_km"]
    out["trips_per_km"] = inputs["avg_daily_trips"] / inputs["distance_km"]
    return out


@on_demand_feature_view(sources=[stats[["conv_rate"]], ride], schema=[Field(name="pair", dtype=Array(Float64))])
def ride_vector(inputs: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame()
    out["pair"] = [None if pd.isna(conv) else [conv, km] for conv, km in zip(inputs["conv_rate"], inputs["distance_km"])]
    return out


model = FeatureService(name="model", features=[stats[["acc_rate"]], ride_features])
stats_model = FeatureService(name="stats_model", features=[stats[["acc_rate", "conv_rate"]]])
`;
}

const ENTITY_ROWS = [
  { driver_id: 1001, distance_km: 2.5 },
  { driver_id: 1017, distance_km: 4 },
  { driver_id: 1099, distance_km: 1 },
];

let open: Served;
let fileSources: Served;
let guarded: Served;

before(async () => {
  const source = await createDriverStatsCatalog(path.join(directory, 'source'));
  await writeCliProject(directory, { project: PROJECT, source, view: VIEW });
  const features = path.join(directory, 'features.ts');
  await writeFile(features, (await readFile(features, 'utf8')) + floeDefinitions);
  await mkdir(secured);
  await writeFile(path.join(secured, 'package.json'), '{"type": "module"}\n');
  await writeFile(path.join(secured, 'features.ts'), await readFile(features, 'utf8'));
  await promisify(execFile)('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', path.join(secured, 'key.pem')],
    ...['-out', path.join(secured, 'cert.pem')],
  ]);
  const digest = createHash('sha256').update(TOKEN).digest('hex');
  await writeFile(
    path.join(secured, 'floe.yaml'),
    (await readFile(path.join(directory, 'floe.yaml'), 'utf8')) +
      `server:\n  auth:\n    tokens:\n      - name: notebook\n        sha256: ${digest}\n        read: true\n  tls:\n    certFile: cert.pem\n    keyFile: key.pem\n`,
  );
  const runtime = await openRuntime(await loadProject(directory));
  try {
    const window = { start: new Date('2024-05-01T00:00:00Z'), end: new Date('2024-05-04T00:00:00Z') };
    await materializeWindow(runtime, VIEW, window, 'feast-registry-test');
  } finally {
    await runtime.close();
  }
  [open, fileSources, guarded] = await Promise.all([
    startServe(directory),
    startServe(directory, ['--registry-file-sources']),
    startServe(secured).then((served) => ({ ...served, cert: path.join(secured, 'cert.pem') })),
  ]);
});

after(async () => {
  for (const server of servers) await stopWorker(server);
  await stopPythonServers();
});

function startServe(project: string, extra: readonly string[] = []): Promise<Served> {
  const server = spawn(process.execPath, [FLOE, 'serve', '--project', project, '--port', '0', '--json', ...extra], {
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
        const printed = JSON.parse(ready[0]) as { url: string; offlineUrl: string; registryAddress: string };
        resolve({
          url: printed.url,
          offlinePort: Number(new URL(printed.offlineUrl.replace(/^grpc\+(tcp|tls):/, 'http:')).port),
          registry: printed.registryAddress,
        });
      }
    });
    server.once('exit', (code) => reject(new Error(`floe serve exited with ${code} before listening:\n${stderr}`)));
  });
}

interface Call {
  readonly name: string;
  readonly op: string;
  readonly [key: string]: unknown;
}
type Answer = { readonly name: string; readonly ok: boolean; readonly error?: string } & Record<string, unknown>;

/**
 * Runs the calls through Feast's client in one repository, in order, answers by call name: the SDK's
 * in registry_driver.py (which writes the repository's feature_store.yaml first), each `feast`
 * command (`cli`, and `apply` of its definitions as the repository's one module) as its own process.
 */
async function feast(python: string, calls: readonly Call[], served: Served, token?: string): Promise<Map<string, Answer>> {
  const repo = await mkdtemp(path.join(directory, 'feast-repo-'));
  const { FEAST_OIDC_TOKEN: _inherited, ...inherited } = process.env;
  const env = token === undefined ? inherited : { ...inherited, FEAST_OIDC_TOKEN: token };
  const answers = new Map<string, Answer>();
  const sdk = async (batch: readonly Call[]): Promise<void> => {
    const { code, stdout, stderr } = await runPython(
      python,
      DRIVER,
      [
        ...[repo, PROJECT, served.registry, served.url, String(served.offlinePort)],
        token === undefined ? 'no_auth' : 'oidc',
        ...(served.cert === undefined ? [] : [served.cert]),
      ],
      { env, stdin: JSON.stringify(batch) },
    );
    // Kept beside the repository: the tracebacks of calls that failed.
    await appendFile(path.join(repo, 'driver.log'), stderr);
    assert.equal(code, 0, `the Feast driver failed:\n${stderr.slice(-4000)}`);
    const answered = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Answer);
    assert.equal(answered.length, batch.length, `answers:\n${stdout}\n${stderr.slice(-2000)}`);
    for (const answer of answered) answers.set(answer.name, answer);
  };
  const command = async (call: Call): Promise<void> => {
    if (call.op === 'apply') await writeFile(path.join(repo, 'definitions.py'), String(call.definitions));
    const args = call.op === 'apply' ? ['apply'] : (call.args as string[]);
    const done = await runPython(python, path.join(path.dirname(python), 'feast'), args, { cwd: repo, env });
    answers.set(call.name, { name: call.name, ok: true, stdout: done.stdout, stderr: done.stderr.slice(-3000), code: done.code });
  };
  await sdk([]);
  for (let start = 0; start < calls.length;) {
    const call = calls[start]!;
    if (call.op === 'cli' || call.op === 'apply') {
      await command(call);
      start += 1;
    } else {
      const end = calls.findIndex((other, index) => index > start && (other.op === 'cli' || other.op === 'apply'));
      await sdk(calls.slice(start, end === -1 ? calls.length : end));
      start = end === -1 ? calls.length : end;
    }
  }
  return answers;
}

function ok(answers: Map<string, Answer>, name: string): Answer {
  const answer = answers.get(name)!;
  assert.ok(answer.ok, `${name}: ${answer.error}`);
  return answer;
}

/** What floe serve answers for the feature service, by feature name. */
async function floeOnline(served: Served, service: string): Promise<Record<string, unknown[]>> {
  const response = await fetch(`${served.url}/get-online-features`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      feature_service: service,
      entities: { driver_id: ENTITY_ROWS.map((row) => row.driver_id), distance_km: ENTITY_ROWS.map((row) => row.distance_km) },
    }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  const body = (await response.json()) as { metadata: { feature_names: string[] }; results: { values: unknown[] }[] };
  return Object.fromEntries(body.metadata.feature_names.map((name, index) => [name, body.results[index]!.values]));
}

/**
 * Feature services read online. Feast 0.60's client computes on-demand views itself (its remote
 * online store reads each view, later ones send the whole request), so it cannot read Floe's, whose
 * compute is JavaScript: it reads `stats_model`, and an on-demand feature is refused saying why.
 * (It could not read `model` whatever its registry either: it lists driver_hourly_stats twice, for
 * acc_rate and as ride_features' source, and looks acc_rate up in the second; 0.67 merges them.)
 */
const ONLINE_SERVICES = { '0.67': ['model', 'stats_model'], '0.60': ['stats_model'] } as const;

const calls = (version: keyof typeof ONLINE_SERVICES): readonly Call[] => [
  { name: 'feature-views list', op: 'cli', args: ['feature-views', 'list'] },
  { name: 'entities list', op: 'cli', args: ['entities', 'list'] },
  { name: 'feature-services list', op: 'cli', args: ['feature-services', 'list'] },
  { name: 'feature views', op: 'feature_views' },
  { name: 'on-demand views', op: 'on_demand_views' },
  { name: 'entities', op: 'entities' },
  { name: 'data sources', op: 'data_sources' },
  { name: 'registry proto', op: 'proto' },
  { name: 'feature service', op: 'feature_service', service: 'model' },
  ...ONLINE_SERVICES[version].map((service) => ({ name: `online ${service}`, op: 'online', service, entity_rows: ENTITY_ROWS })),
  { name: 'online on-demand features', op: 'online', features: ['ride_features:trips_per_km'], entity_rows: ENTITY_ROWS },
  { name: 'online on-demand list', op: 'online', features: ['ride_vector:pair', `${VIEW}:conv_rate`], entity_rows: ENTITY_ROWS },
  { name: 'identical apply', op: 'apply', definitions: feastDefinitions() },
  { name: 'changed apply', op: 'apply', definitions: feastDefinitions('timedelta(hours=7)') },
  { name: 'after the refused apply', op: 'feature_views' },
];

for (const [version, python, served, sourceClass] of [
  ['0.67', () => pythonOracle().python, () => open, 'IcebergSource'],
  ['0.60', oldFeastPython, () => fileSources, 'FileSource'],
] as const) {
  describe(`Feast ${version}'s remote registry client`, () => {
    let answers: Map<string, Answer>;
    before(async () => {
      answers = await feast(python(), calls(version), served());
    });

    test("feast feature-views list, entities list and feature-services list show Floe's definitions", () => {
      for (const [call, expected] of [
        ['feature-views list', [VIEW, 'ride_features', 'ride_vector']],
        ['entities list', ['driver', 'ValueType.INT64']],
        ['feature-services list', ['model', 'stats_model']],
      ] as const) {
        const answer = ok(answers, call);
        assert.equal(answer.code, 0, `${call}: ${String(answer.stderr)}`);
        for (const text of expected) assert.match(String(answer.stdout), new RegExp(`\\b${text}\\b`), `${call}:\n${String(answer.stdout)}`);
      }
    });

    test('the SDK lists the views, on-demand views, entities and sources as Floe defines them, and the registry proto holds them', () => {
      assert.deepEqual(ok(answers, 'feature views').views, [
        {
          name: VIEW,
          entities: ['driver'],
          features: [
            ['conv_rate', 'Float64'],
            ['acc_rate', 'Float64'],
            ['avg_daily_trips', 'Int64'],
          ],
          ttl: 0,
          source: [sourceClass, 'driver_stats'],
          stream_source: null,
        },
      ]);
      assert.deepEqual(ok(answers, 'on-demand views').views, [
        {
          name: 'ride_features',
          features: [
            ['expected_conversions', 'Float64'],
            ['trips_per_km', 'Float64'],
          ],
          sources: [VIEW, 'ride'],
        },
        { name: 'ride_vector', features: [['pair', 'Array(Float64)']], sources: [VIEW, 'ride'] },
      ]);
      assert.deepEqual(ok(answers, 'entities').entities, [['driver', 'driver_id', 'ValueType.INT64']]);
      assert.deepEqual(ok(answers, 'registry proto'), {
        ...ok(answers, 'registry proto'),
        feature_views: [VIEW],
        on_demand_feature_views: ['ride_features', 'ride_vector'],
        feature_services: ['model', 'stats_model'],
        projects: [PROJECT],
      });
      assert.deepEqual(ok(answers, 'data sources').sources, [
        [sourceClass, 'driver_stats'],
        ['PushSource', 'driver_push'],
        ['RequestSource', 'ride'],
      ]);
    });

    test("get_feature_service gives the service's views and features", () => {
      assert.deepEqual(ok(answers, 'feature service').projections, [
        { view: VIEW, features: ['acc_rate'] },
        { view: 'ride_features', features: ['expected_conversions', 'trips_per_km'] },
      ]);
    });

    test(`get_online_features through ${ONLINE_SERVICES[version].join(' and ')} answers what floe serve answers for it`, async () => {
      for (const service of ONLINE_SERVICES[version]) {
        const columns = ok(answers, `online ${service}`).columns as Record<string, unknown[]>;
        const floe = await floeOnline(served(), service);
        const features = service === 'model' ? ['acc_rate', 'expected_conversions', 'trips_per_km'] : ['acc_rate', 'conv_rate'];
        for (const feature of features) {
          assert.ok(columns[feature] !== undefined, `${service}: Feast's answer has ${feature}: ${Object.keys(columns).join(', ')}`);
          assert.deepEqual(columns[feature], floe[feature], `${service}: ${feature}`);
        }
        assert.equal(typeof columns.acc_rate![0], 'number', 'driver 1001 has features');
        assert.equal(columns.acc_rate![2], null, 'driver 1099 has none');
      }
      const onDemand = answers.get('online on-demand features')!;
      const list = answers.get('online on-demand list')!;
      if (version === '0.67') {
        assert.equal((ok(answers, onDemand.name).columns as Record<string, unknown[]>).trips_per_km!.length, 3);
        const { pair, conv_rate: conv } = ok(answers, list.name).columns as Record<string, unknown[]>;
        // distance_km is a whole number in two rows: Floe writes 2.5 and 4.0, each a double to Feast's client.
        assert.deepEqual(
          pair,
          ENTITY_ROWS.map((row, index) => (conv![index] === null ? null : [conv![index], row.distance_km])),
          'a list feature, its items the inputs',
        );
        assert.equal(conv![2], null, 'driver 1099 has no conv_rate');
      } else {
        assert.match(onDemand.error!, /^NotImplementedError: On-demand view ride_features is computed by Floe/);
        assert.match(list.error!, /^NotImplementedError: On-demand view ride_vector is computed by Floe/);
      }
    });

    test('feast apply of the same definitions is accepted; a changed one is refused, naming the view and the difference', () => {
      const identical = ok(answers, 'identical apply');
      assert.equal(identical.code, 0, String(identical.stderr));
      const changed = ok(answers, 'changed apply');
      assert.notEqual(changed.code, 0, String(changed.stdout));
      assert.match(String(changed.stderr), /feast apply would change feature view driver_hourly_stats: ttl 25200s where Floe has 0s/);
      assert.match(String(changed.stderr), /floe import feast/);
      assert.equal((ok(answers, 'after the refused apply').views as { ttl: number }[])[0]!.ttl, 0, 'nothing changed');
    });
  });
}

/**
 * Feast's web UI is `feast ui`, Feast's own UI server (its React build and a REST API over its
 * registry, in the feast package): with feature_store.yaml naming Floe's registry remotely it reads
 * Floe's, so it is how Feast's UI browses Floe. The UI's pages ask this REST API for the projects
 * and each kind of object; these are its answers.
 */
test("Feast's web UI (`feast ui`) browses Floe's registry: its projects list and REST registry show Floe's views", async () => {
  const repo = await mkdtemp(path.join(directory, 'feast-ui-'));
  await writeFile(
    path.join(repo, 'feature_store.yaml'),
    [
      `project: ${PROJECT}`,
      `registry: { registry_type: remote, path: "${open.registry}" }`,
      'provider: local',
      `online_store: { type: remote, path: "${open.url}" }`,
      `offline_store: { type: remote, host: 127.0.0.1, port: ${open.offlinePort} }`,
      'entity_key_serialization_version: 3',
      '',
    ].join('\n'),
  );
  const python = pythonOracle().python;
  const port = await freePort();
  // Ended with the other Python runs, by stopPythonServers.
  const ui = await startPython(python, path.join(path.dirname(python), 'feast'), ['ui', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: repo,
    env: { ...process.env, FEAST_USAGE: 'False' },
    mergeOutput: true,
  });
  let exited: PythonRun | undefined;
  ui.done.then(
    (run) => (exited = run),
    () => {},
  );
  const base = `http://127.0.0.1:${port}`;
  const get = async (route: string): Promise<unknown> => {
    const response = await fetch(`${base}${route}`);
    assert.equal(response.status, 200, `${route}: ${await response.clone().text()}`);
    return response.json();
  };
  for (let attempt = 0; ; attempt++) {
    if (exited !== undefined) assert.fail(`feast ui exited with ${exited.code}:\n${exited.stdout}`);
    if (
      await fetch(`${base}/health`).then(
        (response) => response.ok,
        () => false,
      )
    )
      break;
    if (attempt >= 240) {
      process.kill(ui.pid, 'SIGINT');
      assert.fail(`feast ui did not answer in 60 s:\n${(await ui.done).stdout}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const projects = (await get('/projects-list.json')) as { projects: { id: string; registryPath: string }[] };
  assert.deepEqual(
    projects.projects.map((project) => [project.id, project.registryPath]),
    [[PROJECT, '/api/v1']],
  );
  const names = async (kind: string, key: string): Promise<string[]> => {
    const listed = (await get(`/api/v1/${kind}?project=${PROJECT}`)) as Record<string, { spec: { name: string } }[]>;
    return listed[key]!.map((object) => object.spec.name).sort();
  };
  assert.deepEqual(await names('feature_views', 'featureViews'), [VIEW, 'ride_features', 'ride_vector']);
  assert.deepEqual(await names('entities', 'entities'), ['driver']);
  assert.deepEqual(await names('feature_services', 'featureServices'), ['model', 'stats_model']);
  const view = (await get(`/api/v1/feature_views/${VIEW}?project=${PROJECT}`)) as { spec: { features: { name: string }[] } };
  assert.deepEqual(
    view.spec.features.map((feature) => feature.name),
    ['conv_rate', 'acc_rate', 'avg_daily_trips'],
  );
  // The UI's front page, Feast's React build, comes from the same server.
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
});

describe('with server.auth and server.tls', () => {
  test("Feast's client reads the registry over TLS with its bearer token, and is refused without it or with a wrong one", async () => {
    const call: Call = { name: 'entities', op: 'entities' };
    assert.deepEqual(ok(await feast(pythonOracle().python, [call], guarded, TOKEN), 'entities').entities, [
      ['driver', 'driver_id', 'ValueType.INT64'],
    ]);
    for (const token of [undefined, 'not-the-token']) {
      const refused = (await feast(pythonOracle().python, [call], guarded, token)).get('entities')!;
      assert.equal(refused.ok, false, `token ${token}`);
      assert.match(refused.error!, /^FeastError: The registry endpoint needs credentials/);
      assert.doesNotMatch(refused.error!, /driver_id/, 'nothing of the registry in the refusal');
    }
  });
});
