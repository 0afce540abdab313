// services: python
// Push (issue #16 part 1) through `floe serve` processes sharing one catalog: group commit,
// exactly-once by request_id across replicas and restarts, a SIGKILL mid-batch, and bad rows
// refused alone. pyiceberg reads the tables as the independent judge.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { ONLINE_EVENT_TS } from '../../../features/online-columns.js';
import { readWatermark } from '../../../features/online-table/table-state.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Runtime } from '../../../features/runtime.js';
import { runPyiceberg, sqliteCatalog } from '../../support/pyiceberg.js';
import { serverError } from '../../support/server-error.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import {
  createPushProject,
  driverCounts as countsIn,
  EPOCH,
  floe,
  ONLINE_TABLE,
  post,
  SOURCE_TABLE,
  startServe as startServeIn,
  VIEW,
} from '../../support/push/push-servers.js';

const dir = scratchFolder('push');
let runtime: Runtime;
const servers: ChildProcess[] = [];
let urlA: string;
let urlB: string;
let nextDriver = 1_000;

interface Pushed {
  readonly requestId: string;
  readonly drivers: number[];
  readonly body: Record<string, unknown>;
}

/** A request of `rows` rows for fresh drivers, each with its own values. */
function request(rows: number, to = 'online'): Pushed {
  const drivers = Array.from({ length: rows }, () => nextDriver++);
  const requestId = `req-${drivers[0]}`;
  return {
    requestId,
    drivers,
    body: {
      push_source_name: 'driver_push',
      to,
      request_id: requestId,
      df: {
        driver_id: drivers,
        conv_rate: drivers.map((driver) => driver / 4096),
        trips: drivers.map((driver) => driver % 97),
        event_timestamp: drivers.map((driver) => new Date(EPOCH + driver * 1000).toISOString()),
      },
    },
  };
}

const startServe = (): Promise<{ url: string; child: ChildProcess }> => startServeIn(dir, servers);
const driverCounts = (table: string): Promise<Map<number, number>> => countsIn(dir, table);

/** Polls a server until every driver's pushed row is read online (within a few refresh intervals). */
async function readBackOnline(base: string, pushed: readonly Pushed[]): Promise<void> {
  const drivers = pushed.flatMap((item) => item.drivers);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { status, json } = await post(base, '/get-online-features', {
      features: [`${VIEW}:conv_rate`, `${VIEW}:trips`],
      entities: { driver_id: drivers },
    });
    assert.equal(status, 200, JSON.stringify(json));
    const results = json.results as { values: unknown[]; statuses: string[] }[];
    const missing = results[1]!.statuses.filter((value) => value !== 'PRESENT').length;
    if (missing === 0) {
      drivers.forEach((driver, index) => {
        assert.equal(results[1]!.values[index], driver / 4096);
        assert.equal(results[2]!.values[index], driver % 97);
      });
      return;
    }
    if (Date.now() > deadline) assert.fail(`${missing} of ${drivers.length} pushed rows are not read online from ${base}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  runtime = await createPushProject(dir);
  [{ url: urlA }, { url: urlB }] = await Promise.all([startServe(), startServe()]);
});

after(async () => {
  for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await runtime?.close();
});

describe('push through two feature servers sharing one catalog', () => {
  test('bad rows are refused with 400 naming row and column; the good request in the same batch lands', async () => {
    const good = request(3);
    const wrongType = request(3);
    (wrongType.body.df as Record<string, unknown[]>).trips!.splice(2, 1, 'many');
    const missingKey = request(2);
    delete (missingKey.body.df as Record<string, unknown>).driver_id;
    const nullKey = request(2);
    (nullKey.body.df as Record<string, unknown[]>).driver_id!.splice(1, 1, null);
    const unknownColumn = request(2);
    (unknownColumn.body.df as Record<string, unknown>).speed = [1, 2];
    const answers = await Promise.all([good, wrongType, missingKey, nullKey, unknownColumn].map((item) => post(urlA, '/push', item.body)));
    assert.equal(answers[0]!.status, 200, JSON.stringify(answers[0]!.json));
    assert.deepEqual(
      answers.slice(1).map((answer) => answer.status),
      [400, 400, 400, 400],
    );
    assert.match(String(answers[1]!.json.message), /row 2, column trips: expected an integer \(long\), got string "many"/);
    assert.match(String(answers[2]!.json.message), /row 0, column driver_id: missing/);
    assert.match(String(answers[3]!.json.message), /row 1, column driver_id: missing/);
    assert.match(String(answers[4]!.json.message), /column "speed" is not a column of the source table/);
    for (const answer of answers.slice(1)) assert.doesNotMatch(JSON.stringify(answer.json), /at .*\.ts:|metadata\.json|SELECT/);
    const counts = await driverCounts(ONLINE_TABLE);
    for (const driver of good.drivers) assert.equal(counts.get(driver), 1);
    for (const bad of [wrongType, missingKey, nullKey, unknownColumn])
      for (const driver of bad.drivers) assert.equal(counts.get(driver), undefined);
  });

  test('concurrent clients on both servers: every acknowledged row is read online from both and lands exactly once', async () => {
    const clients = 12;
    const perClient = 4;
    const acknowledged: Pushed[] = [];
    const snapshots = new Set<string>();
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let round = 0; round < perClient; round++) {
          const item = request(10, 'online_and_offline');
          const { status, json } = await post(client % 2 === 0 ? urlA : urlB, '/push', item.body);
          assert.equal(status, 200, JSON.stringify(json));
          assert.equal(json.rows, 10);
          const commits = json.commits as { table: string; snapshot_id: string }[];
          assert.deepEqual(commits.map((commit) => commit.table).sort(), [ONLINE_TABLE, SOURCE_TABLE].sort());
          for (const commit of commits) snapshots.add(`${commit.table}@${commit.snapshot_id}`);
          acknowledged.push(item);
        }
      }),
    );
    // Group commit: requests share commits (one per batch per table).
    assert.ok(snapshots.size < 2 * clients * perClient, `${snapshots.size} commits for ${clients * perClient} requests`);
    await readBackOnline(urlA, acknowledged);
    await readBackOnline(urlB, acknowledged);
    for (const table of [ONLINE_TABLE, SOURCE_TABLE]) {
      const counts = await driverCounts(table);
      for (const item of acknowledged) for (const driver of item.drivers) assert.equal(counts.get(driver), 1, `${table}: driver ${driver}`);
    }
  });

  test('a resent request_id gets the original answer and no second copy, on the same replica and on another', async () => {
    const item = request(5, 'online_and_offline');
    const first = await post(urlA, '/push', item.body);
    assert.equal(first.status, 200);
    const [again, elsewhere] = await Promise.all([post(urlA, '/push', item.body), post(urlB, '/push', item.body)]);
    assert.deepEqual(again.json, first.json);
    assert.deepEqual(elsewhere.json, first.json);
    for (const table of [ONLINE_TABLE, SOURCE_TABLE]) {
      const counts = await driverCounts(table);
      for (const driver of item.drivers) assert.equal(counts.get(driver), 1);
    }
  });

  test('a request_id resent with different rows is a 409 naming the id, on either replica, and nothing of it is written', async () => {
    const item = request(3, 'online_and_offline');
    const first = await post(urlA, '/push', item.body);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    const other = request(2, 'online_and_offline');
    const reused = { ...other.body, request_id: item.requestId };
    const [here, there] = await Promise.all([post(urlA, '/push', reused), post(urlB, '/push', reused)]);
    for (const answer of [here, there]) {
      assert.equal(answer.status, 409, JSON.stringify(answer.json));
      assert.equal(answer.json.error, 'request-id-conflict');
      assert.match(String(answer.json.message), new RegExp(`request_id "${item.requestId}" was already used for different rows`));
    }
    // The same rows again stay an idempotent 200 with the first answer.
    assert.deepEqual(await post(urlB, '/push', item.body), first);
    for (const table of [ONLINE_TABLE, SOURCE_TABLE]) {
      const counts = await driverCounts(table);
      for (const driver of item.drivers) assert.equal(counts.get(driver), 1);
      for (const driver of other.drivers) assert.equal(counts.get(driver), undefined, `${table}: driver ${driver}`);
    }
  });

  test('a number out of range for its column is a 400 naming row, column and type, and nothing is written', async () => {
    const cases: [string, string, RegExp][] = [
      // Each number as it was sent (issue #54), not as a double rounded it.
      ['trips', '1e21', /row 1, column trips: 1e21 is out of range for long/],
      ['trips', '18446744073709551616', /row 1, column trips: 18446744073709551616 is out of range for long/],
      ['conv_rate', '1e400', /row 1, column conv_rate: 1e400 is out of range for double \(at most ±1\.7976931348623157e\+308\)/],
    ];
    for (const [column, literal, message] of cases) {
      const item = request(2);
      // Written into the body as text: JSON.stringify cannot write 1e21 or 1e400 as a number.
      const text = JSON.stringify(item.body).replace(new RegExp(`"${column}":\\[[^\\]]*\\]`), `"${column}":[1,${literal}]`);
      const response = await fetch(`${urlA}/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
      const answer = serverError(await response.json());
      assert.equal(response.status, 400, answer.message);
      assert.match(answer.message, message);
      const counts = await driverCounts(ONLINE_TABLE);
      for (const driver of item.drivers) assert.equal(counts.get(driver), undefined);
    }
  });

  test('an instant with an offset lands as the instant it names, as pyiceberg reads it; one past year 9999 is a 400 naming row and column', async () => {
    const sent: Record<string, string> = {
      '2024-05-02T10:00:00+09:00': '2024-05-02T01:00:00.000000Z',
      '2024-05-02 10:00:00.123456-04:30': '2024-05-02T14:30:00.123456Z',
      '2024-05-02T10:00+0530': '2024-05-02T04:30:00.000000Z',
      '2024-05-02Z': '2024-05-02T00:00:00.000000Z',
    };
    const item = request(4, 'online_and_offline');
    (item.body.df as Record<string, unknown[]>).event_timestamp = Object.keys(sent);
    const tooLate = request(2, 'online_and_offline');
    (tooLate.body.df as Record<string, unknown[]>).event_timestamp![1] = '9999-12-31T23:00:00-02:00';
    const [landed, refused] = await Promise.all([post(urlA, '/push', item.body), post(urlA, '/push', tooLate.body)]);
    assert.equal(landed.status, 200, JSON.stringify(landed.json));
    assert.equal(refused.status, 400, JSON.stringify(refused.json));
    assert.match(
      String(refused.json.message),
      /row 1, column event_timestamp: "9999-12-31T23:00:00-02:00" is out of range for timestamptz \(years 1 to 9999 in UTC\)/,
    );
    for (const [table, column] of [
      [SOURCE_TABLE, 'event_timestamp'],
      [ONLINE_TABLE, ONLINE_EVENT_TS],
    ] as const) {
      const { rows } = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog: sqliteCatalog(dir), identifier: table });
      const read = new Map(rows.map((row) => [Number(row.driver_id), row[column]]));
      assert.deepEqual(
        item.drivers.map((driver) => read.get(driver)),
        Object.values(sent),
        table,
      );
      for (const driver of tooLate.drivers) assert.equal(read.get(driver), undefined, `${table} ${driver}`);
    }
  });

  test('pushed rows do not advance the watermark: it stays where materialization put it', async () => {
    const context = { ...runtime, workDirectory: runtime.project.config.workDirectory };
    const window = { start: new Date(EPOCH - 86_400_000), end: new Date(EPOCH) };
    await materializeWindow(context, VIEW, window, 'push-test-window');
    assert.equal((await readWatermark(context, VIEW))?.toISOString(), window.end.toISOString());
    const item = request(4);
    assert.equal((await post(urlA, '/push', item.body)).status, 200);
    assert.equal((await readWatermark(context, VIEW))?.toISOString(), window.end.toISOString());
    const counts = await driverCounts(ONLINE_TABLE);
    for (const driver of item.drivers) assert.equal(counts.get(driver), 1);
  });

  test('a server SIGKILLed mid-batch loses no acknowledged row and half-writes no request; resending the rest lands each once', async () => {
    const victim = await startServe();
    // Warm (schema read, tables loaded, DuckDB started): on a busy machine a cold first batch can
    // gather every request below, and all are answered before the kill.
    const warm = request(1);
    assert.equal((await post(victim.url, '/push', warm.body)).status, 200);
    const items = Array.from({ length: 24 }, () => request(8));
    const acknowledged = new Set<string>();
    const sent = items.map(async (item, index) => {
      await new Promise((resolve) => setTimeout(resolve, index * 15));
      const answer = await post(victim.url, '/push', item.body).catch(() => undefined);
      if (answer?.status === 200) acknowledged.add(item.requestId);
    });
    // Kill once the first requests are answered, while later ones are batched or committing.
    const deadline = Date.now() + 20_000;
    while (acknowledged.size === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    victim.child.kill('SIGKILL');
    await Promise.all(sent);
    assert.ok(acknowledged.size > 0 && acknowledged.size < items.length, `acknowledged ${acknowledged.size} of ${items.length}`);
    const counts = await driverCounts(ONLINE_TABLE);
    for (const item of items) {
      const found = item.drivers.filter((driver) => counts.get(driver) === 1).length;
      assert.ok(found === 0 || found === item.drivers.length, `request ${item.requestId} half-written: ${found} of ${item.drivers.length}`);
      if (acknowledged.has(item.requestId)) assert.equal(found, item.drivers.length, `acknowledged request ${item.requestId} lost`);
      for (const driver of item.drivers) assert.ok((counts.get(driver) ?? 0) <= 1);
    }
    // The client retries what was not acknowledged, on the surviving replica.
    const retried = await Promise.all(
      items.filter((item) => !acknowledged.has(item.requestId)).map((item) => post(urlB, '/push', item.body)),
    );
    for (const answer of retried) assert.equal(answer.status, 200, JSON.stringify(answer.json));
    const after = await driverCounts(ONLINE_TABLE);
    for (const item of items) for (const driver of item.drivers) assert.equal(after.get(driver), 1, `driver ${driver}`);
  });
});

describe('push through the library', () => {
  test('a push source that feeds no online view refuses online pushes, naming what to do', async () => {
    const { Registry } = await import('../../../features/registry.js');
    const { Pusher } = await import('../../../features/push/pusher.js');
    const registry = new Registry([
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      defineIcebergSource({ name: 'driver_source', table: SOURCE_TABLE, timestampField: 'event_timestamp' }),
      definePushSource({ name: 'lonely_push', batchSource: 'driver_source' }),
    ]);
    const pusher = new Pusher({ ...runtime, registry, workDirectory: runtime.project.config.workDirectory }, { maxDelayMs: 0 });
    await assert.rejects(
      pusher.push({ pushSourceName: 'lonely_push', df: { driver_id: [1], event_timestamp: ['2024-05-01T00:00:00Z'] } }),
      /Push to lonely_push: no feature view with online.enabled has it as its source/,
    );
    await assert.rejects(pusher.push({ pushSourceName: 'nope', df: {} }), /No push source named "nope"; defined: lonely_push/);
  });

  test("online, pushed rows pass through the source's filter as materialization's reads do; offline every row lands", async () => {
    const { Registry } = await import('../../../features/registry.js');
    const { Pusher } = await import('../../../features/push/pusher.js');
    const onlineTable = 'floe_online.driver_busy';
    const registry = new Registry([
      defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
      defineIcebergSource({
        name: 'busy_source',
        table: SOURCE_TABLE,
        timestampField: 'event_timestamp',
        filter: { op: 'gtEq', column: 'trips', value: 50 },
      }),
      definePushSource({ name: 'busy_push', batchSource: 'busy_source' }),
      defineFeatureView({
        name: 'driver_busy',
        entities: ['driver'],
        source: 'busy_push',
        features: [
          { name: 'conv_rate', type: 'double' },
          { name: 'trips', type: 'long' },
        ],
        online: { buckets: 4 },
      }),
    ]);
    const pusher = new Pusher({ ...runtime, registry, workDirectory: runtime.project.config.workDirectory }, { maxDelayMs: 0 });
    const mixed = request(120, 'online_and_offline');
    const df = { ...(mixed.body.df as Record<string, unknown[]>) };
    // A null is not ≥ 50: the filter leaves that row out, as a scan of the source does.
    df.trips = (df.trips as number[]).map((trips, index) => (index === 0 ? null : trips));
    const answer = await pusher.push({ pushSourceName: 'busy_push', df, to: 'online_and_offline' });
    assert.equal(answer.rows, 120);
    assert.deepEqual(answer.commits.map((commit) => commit.table).sort(), [onlineTable, SOURCE_TABLE].sort());
    // Every row of a request the filter refuses whole: committed offline, nothing online.
    const quiet = request(3, 'online_and_offline');
    const quietDf = { ...(quiet.body.df as Record<string, unknown[]>), trips: [1, 2, 3] };
    const quietAnswer = await pusher.push({ pushSourceName: 'busy_push', df: quietDf, to: 'online_and_offline' });
    assert.equal(quietAnswer.commits.length, 2);
    await pusher.drain();

    const pushed = new Set([...mixed.drivers, ...quiet.drivers]);
    const taken = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: sqliteCatalog(dir),
      identifier: SOURCE_TABLE,
      row_filter: 'trips >= 50',
    });
    const expected = taken.rows.map((row) => Number(row.driver_id)).filter((driver) => pushed.has(driver));
    const online = await driverCounts(onlineTable);
    assert.ok(expected.length > 0 && expected.length < mixed.drivers.length, `${expected.length} of ${mixed.drivers.length} rows pass`);
    assert.deepEqual([...online.keys()].sort(), expected.sort());
    for (const count of online.values()) assert.equal(count, 1);
    const offline = await driverCounts(SOURCE_TABLE);
    for (const driver of pushed) assert.equal(offline.get(driver), 1, `source table: driver ${driver}`);
  });
});

describe('push overload', () => {
  test('beyond 4 × maxRows waiting for a commit under way, a push is refused as overloaded and the others land', async () => {
    const { Pusher, PushOverloadedError } = await import('../../../features/push/pusher.js');
    const pusher = new Pusher({ ...runtime, workDirectory: runtime.project.config.workDirectory }, { maxDelayMs: 60_000, maxRows: 10 });
    const items = [request(10), request(15), request(15), request(15)];
    const results = await Promise.allSettled(
      items.map((item) => pusher.push({ pushSourceName: 'driver_push', df: item.body.df as Record<string, unknown[]> })),
    );
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'rejected'],
    );
    const refused = (results[3] as PromiseRejectedResult).reason as Error;
    assert.ok(refused instanceof PushOverloadedError);
    assert.match(refused.message, /Push to driver_push: 30 rows are already waiting to be committed/);
    const counts = await driverCounts(ONLINE_TABLE);
    for (const item of items.slice(0, 3)) for (const driver of item.drivers) assert.equal(counts.get(driver), 1);
    for (const driver of items[3]!.drivers) assert.equal(counts.get(driver), undefined);
  });
});

describe('FeatureStore.push', () => {
  test("pushes through the project's floe.yaml push settings and commits what is pending on close", async () => {
    const { FeatureStore } = await import('../../../features/feature-store.js');
    const store = await FeatureStore.open(dir);
    const item = request(3, 'online_and_offline');
    const df = item.body.df as Record<string, unknown[]>;
    const answer = await store.push({ pushSourceName: 'driver_push', df, to: 'online_and_offline', requestId: item.requestId });
    assert.equal(answer.rows, 3);
    assert.deepEqual(answer.commits.map((commit) => commit.table).sort(), [ONLINE_TABLE, SOURCE_TABLE].sort());
    await store.close();
    for (const table of [ONLINE_TABLE, SOURCE_TABLE]) {
      const counts = await driverCounts(table);
      for (const driver of item.drivers) assert.equal(counts.get(driver), 1);
    }
  });
});

describe('floe push', () => {
  test('pushes a CSV and a JSON-lines file online and offline, a resend with the same --request-id writes nothing, a bad row refuses the file', async () => {
    const csvDrivers = [9001, 9002, 9003];
    await writeFile(
      path.join(dir, 'rows.csv'),
      `driver_id,conv_rate,trips,event_timestamp\n${csvDrivers.map((driver) => `${driver},0.5,${driver % 7},2024-05-02 10:00:00`).join('\n')}\n`,
    );
    const args = ['push', 'driver_push', '--project', dir, '--to', 'online_and_offline', '--json'];
    const pushed = await runFloe([...args, '--file', path.join(dir, 'rows.csv'), '--request-id', 'csv-1']);
    assert.equal(pushed.code, 0, pushed.stderr);
    const answer = JSON.parse(pushed.stdout) as { rows: number; commits: { table: string; snapshotId: string }[] };
    assert.equal(answer.rows, 3);
    const resent = await runFloe([...args, '--file', path.join(dir, 'rows.csv'), '--request-id', 'csv-1']);
    assert.equal(resent.code, 0, resent.stderr);
    assert.deepEqual(JSON.parse(resent.stdout), answer);

    await writeFile(
      path.join(dir, 'rows.jsonl'),
      '{"driver_id": 9004, "conv_rate": 0.25, "trips": 4, "event_timestamp": "2024-05-02T11:00:00Z"}\n' +
        '{"driver_id": 9005, "conv_rate": 0.75, "trips": "five", "event_timestamp": "2024-05-02T11:00:00Z"}\n',
    );
    // Parquet with a TIMESTAMPTZ column and 64-bit keys.
    const parquet = path.join(dir, 'rows.parquet');
    await runtime.engine.withConnection((connection) =>
      connection.run(
        `COPY (SELECT * FROM (VALUES (9006::BIGINT, 0.125::DOUBLE, 6::BIGINT, TIMESTAMPTZ '2024-05-02 12:34:56.789+00'), (4611686018427387904::BIGINT, 0.5, 7, TIMESTAMPTZ '2024-05-02 12:00:00+00')) AS v(driver_id, conv_rate, trips, event_timestamp)) TO ${quoteLiteral(parquet)} (FORMAT parquet)`,
      ),
    );
    const fromParquet = await runFloe([...args, '--file', parquet]);
    assert.equal(fromParquet.code, 0, fromParquet.stderr);
    const parquetRows = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: sqliteCatalog(dir),
      identifier: ONLINE_TABLE,
      row_filter: 'driver_id >= 4611686018427387904 or driver_id == 9006',
    });
    assert.deepEqual(parquetRows.rows.map((row) => [String(row.driver_id), row.conv_rate, String(row.event_ts)]).sort(), [
      ['4611686018427387904', 0.5, '2024-05-02T12:00:00.000000Z'],
      ['9006', 0.125, '2024-05-02T12:34:56.789000Z'],
    ]);

    const refused = await runFloe([...args, '--file', path.join(dir, 'rows.jsonl')]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /row 1, column trips: expected an integer \(long\), got string "five"/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /);

    for (const table of [ONLINE_TABLE, SOURCE_TABLE]) {
      const counts = await driverCounts(table);
      for (const driver of csvDrivers) assert.equal(counts.get(driver), 1, `${table}: driver ${driver}`);
      for (const driver of [9004, 9005]) assert.equal(counts.get(driver), undefined);
    }
    const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', {
      catalog: sqliteCatalog(dir),
      identifier: SOURCE_TABLE,
      row_filter: 'driver_id == 9001',
    });
    assert.match(String(read.rows[0]!.event_timestamp), /^2024-05-02T10:00:00(\.0+)?(Z|\+00:00)$/);
  });
});

function runFloe(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [floe, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('definitions: a push source needs an Iceberg batch source, and an aggregated view may be fed by one', async () => {
  const { Registry } = await import('../../../features/registry.js');
  const entity = defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] });
  const source = defineIcebergSource({ name: 'driver_source', table: SOURCE_TABLE, timestampField: 'event_timestamp' });
  assert.throws(
    () => new Registry([entity, source, definePushSource({ name: 'driver_push', batchSource: 'nope' })]),
    /Push source driver_push refers to "nope" in batchSource, which is not an Iceberg source; defined: driver_source/,
  );
  const aggregated = defineFeatureView({
    name: 'trip_sums',
    entities: ['driver'],
    source: 'driver_push',
    aggregations: [{ column: 'trips', type: 'long', functions: ['sum'], windows: ['1h'] }],
  });
  const registry = new Registry([entity, source, definePushSource({ name: 'driver_push', batchSource: 'driver_source' }), aggregated]);
  assert.equal(registry.isPushFed(registry.featureView('trip_sums')), true);
  assert.equal(registry.sourceOf(registry.featureView('trip_sums')).name, 'driver_source');
});
