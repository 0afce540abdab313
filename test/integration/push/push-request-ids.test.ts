// services: python
// A request_id names one request across every table a push source writes (issue #58 item 1): for
// every first and second `to` (online, offline, online_and_offline), with the same rows and with
// other rows, one after the other and at once on two replicas, a resend is the first answer and a
// reuse is a 409 that wrote nothing anywhere; a request that landed in one table and failed in the
// next is completed by its resend; write-to-online-store ids are the same ids. pyiceberg reads every
// table as the judge.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { FloeError } from '../../../core/errors.js';
import { Pusher } from '../../../features/push/pusher.js';
import type { Runtime } from '../../../features/runtime.js';
import type { Catalog } from '../../../iceberg/catalog/catalog.js';
import { formatTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import {
  createPushProject,
  driverCounts,
  EPOCH,
  ONLINE_TABLE,
  post,
  SOURCE_TABLE,
  startServe,
  VIEW,
} from '../../support/push/push-servers.js';

const dir = scratchFolder('push-request-ids');
let runtime: Runtime;
const servers: ChildProcess[] = [];
let urlA: string;
let urlB: string;
let nextDriver = 50_000;

const TARGETS = ['online', 'offline', 'online_and_offline'] as const;
type Target = (typeof TARGETS)[number];
const TABLES = [ONLINE_TABLE, SOURCE_TABLE];

/** The tables a push to `to` writes. */
function tablesOf(to: Target): string[] {
  return TABLES.filter((table) => (table === ONLINE_TABLE ? to !== 'offline' : to !== 'online'));
}

/** Fresh drivers, each row with its own values, in the push source's columns. */
function rows(count: number): { drivers: number[]; df: Record<string, unknown[]> } {
  const drivers = Array.from({ length: count }, () => nextDriver++);
  return {
    drivers,
    df: {
      driver_id: drivers,
      conv_rate: drivers.map((driver) => driver / 4096),
      trips: drivers.map((driver) => driver % 97),
      event_timestamp: drivers.map((driver) => new Date(EPOCH + driver * 1000).toISOString()),
    },
  };
}

function pushBody(requestId: string, to: Target, df: Record<string, unknown[]>): Record<string, unknown> {
  return { push_source_name: 'driver_push', to, request_id: requestId, df };
}

/** Every table read once, per driver how many rows it holds. */
async function readTables(): Promise<Map<string, Map<number, number>>> {
  return new Map(await Promise.all(TABLES.map(async (table) => [table, await driverCounts(dir, table)] as const)));
}

/** The drivers' rows are exactly once in `tables` and in no other table. */
function assertLandedIn(
  counts: Map<string, Map<number, number>>,
  drivers: readonly number[],
  tables: readonly string[],
  label: string,
): void {
  for (const table of TABLES)
    for (const driver of drivers)
      assert.equal(counts.get(table)!.get(driver), tables.includes(table) ? 1 : undefined, `${label}: ${table}, driver ${driver}`);
}

function assertRefused(answer: { status: number; json: Record<string, unknown> }, requestId: string, label: string): void {
  assert.equal(answer.status, 409, `${label}: ${JSON.stringify(answer.json)}`);
  assert.equal(answer.json.error, 'request-id-conflict', label);
  assert.match(String(answer.json.message), new RegExp(`request_id "${requestId}" was already used for different rows or targets`), label);
  assert.match(String(answer.json.message), /nothing of this request was written/, label);
}

function committedTables(answer: { json: Record<string, unknown> }): string[] {
  return (answer.json.commits as { table: string }[]).map((commit) => commit.table).sort();
}

before(async () => {
  runtime = await createPushProject(dir);
  [{ url: urlA }, { url: urlB }] = await Promise.all([startServe(dir, servers), startServe(dir, servers)]);
});

after(async () => {
  for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await runtime?.close();
});

describe('one request_id, two pushes, every pair of targets', () => {
  for (const mode of ['one after the other', 'at once on two replicas'] as const)
    test(`${mode}: the same rows and targets are one request (200, the first answer); other rows or targets a 409 that wrote nothing`, async () => {
      const cases = TARGETS.flatMap((first) =>
        TARGETS.flatMap((second) =>
          [true, false].map((sameRows) => {
            const firstRows = rows(2);
            const secondRows = sameRows ? firstRows : rows(2);
            const requestId = `ids-${firstRows.drivers[0]}`;
            return {
              label: `${mode}: ${first} then ${second}, ${sameRows ? 'same' : 'other'} rows`,
              requestId,
              pushes: [
                { to: first, rows: firstRows },
                { to: second, rows: secondRows },
              ],
              sameRequest: sameRows && first === second,
            };
          }),
        ),
      );
      // Every case at once (each its own id): their pushes share batches, whose requests go to different tables.
      const answers = await Promise.all(
        cases.map(async ({ requestId, pushes }) => {
          const [first, second] = pushes.map(({ to, rows: { df } }) => pushBody(requestId, to, df));
          if (mode === 'one after the other') return [await post(urlA, '/push', first), await post(urlB, '/push', second)];
          return Promise.all([post(urlA, '/push', first), post(urlB, '/push', second)]);
        }),
      );
      const counts = await readTables();
      cases.forEach(({ label, requestId, pushes, sameRequest }, index) => {
        const [first, second] = answers[index]!;
        if (sameRequest) {
          assert.equal(first!.status, 200, `${label}: ${JSON.stringify(first!.json)}`);
          assert.deepEqual(second, first, label);
          assert.deepEqual(committedTables(first!), tablesOf(pushes[0]!.to).sort(), label);
          assertLandedIn(counts, pushes[0]!.rows.drivers, tablesOf(pushes[0]!.to), label);
          return;
        }
        // One after the other the first wins; at once, either may.
        const winner = first!.status === 200 ? 0 : 1;
        if (mode === 'one after the other') assert.equal(winner, 0, `${label}: ${JSON.stringify(first!.json)}`);
        const [won, lost] = winner === 0 ? [first!, second!] : [second!, first!];
        assert.equal(won.status, 200, `${label}: ${JSON.stringify(won.json)}`);
        assertRefused(lost, requestId, label);
        const { to, rows: landed } = pushes[winner]!;
        assert.deepEqual(committedTables(won), tablesOf(to).sort(), label);
        assertLandedIn(counts, landed.drivers, tablesOf(to), label);
        const other = pushes[1 - winner]!.rows;
        if (other !== landed) assertLandedIn(counts, other.drivers, [], `${label} (the refused rows)`);
      });
    });
});

describe('a request that landed in one table and failed in the next', () => {
  test('its resend completes it, leaving the first table as it was; a reuse of its id is refused and writes nothing', async () => {
    let failSourceCommit = true;
    // The catalog refuses the source table's commit once: the push lands online (the first table) only.
    const catalog = new Proxy(runtime.catalog, {
      get(target, property) {
        if (property === 'commitTable')
          return (...args: Parameters<Catalog['commitTable']>) => {
            if (failSourceCommit && formatTableIdentifier(args[0]) === SOURCE_TABLE) {
              failSourceCommit = false;
              throw new FloeError('io', 'the catalog went away (test)', { retryable: false });
            }
            return target.commitTable(...args);
          };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const pusher = new Pusher({ ...runtime, catalog, workDirectory: runtime.project.config.workDirectory }, { maxDelayMs: 0 });
    const pushed = rows(3);
    const requestId = `half-${pushed.drivers[0]}`;
    await assert.rejects(
      pusher.push({ pushSourceName: 'driver_push', df: pushed.df, to: 'online_and_offline', requestId }),
      /the catalog went away \(test\)/,
    );
    assert.equal(failSourceCommit, false, 'the source table commit was tried');
    assertLandedIn(await readTables(), pushed.drivers, [ONLINE_TABLE], 'after the failed push');

    const other = rows(3);
    assertRefused(await post(urlA, '/push', pushBody(requestId, 'online_and_offline', other.df)), requestId, 'other rows');
    assertRefused(await post(urlA, '/push', pushBody(requestId, 'offline', pushed.df)), requestId, 'another to');
    const refusedCounts = await readTables();
    assertLandedIn(refusedCounts, pushed.drivers, [ONLINE_TABLE], 'after the refused reuses');
    assertLandedIn(refusedCounts, other.drivers, [], 'the refused rows');

    const resent = await post(urlB, '/push', pushBody(requestId, 'online_and_offline', pushed.df));
    assert.equal(resent.status, 200, JSON.stringify(resent.json));
    assert.deepEqual(committedTables(resent), [ONLINE_TABLE, SOURCE_TABLE].sort());
    assert.deepEqual(await post(urlA, '/push', pushBody(requestId, 'online_and_offline', pushed.df)), resent);
    assertLandedIn(await readTables(), pushed.drivers, [ONLINE_TABLE, SOURCE_TABLE], 'after the resend');
  });
});

describe('write-to-online-store', () => {
  const writeBody = (requestId: string, df: Record<string, unknown[]>): Record<string, unknown> => ({
    feature_view_name: VIEW,
    request_id: requestId,
    df,
  });

  test('a resend is the first answer; other rows, or a push under its id, are refused and write nothing', async () => {
    const written = rows(2);
    const requestId = `write-${written.drivers[0]}`;
    const first = await post(urlA, '/write-to-online-store', writeBody(requestId, written.df));
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.deepEqual(await post(urlB, '/write-to-online-store', writeBody(requestId, written.df)), first);
    const other = rows(2);
    assertRefused(await post(urlB, '/write-to-online-store', writeBody(requestId, other.df)), requestId, 'other rows');
    for (const to of TARGETS) assertRefused(await post(urlA, '/push', pushBody(requestId, to, written.df)), requestId, `a push to ${to}`);
    const counts = await readTables();
    assertLandedIn(counts, written.drivers, [ONLINE_TABLE], 'the written rows');
    assertLandedIn(counts, other.drivers, [], 'the refused rows');
  });

  test('an id a push to the source table holds is refused, though the write goes to the online table only', async () => {
    const pushed = rows(2);
    const requestId = `pushed-${pushed.drivers[0]}`;
    assert.equal((await post(urlA, '/push', pushBody(requestId, 'offline', pushed.df))).status, 200);
    const other = rows(2);
    assertRefused(await post(urlB, '/write-to-online-store', writeBody(requestId, other.df)), requestId, 'a write under a pushed id');
    const counts = await readTables();
    assertLandedIn(counts, pushed.drivers, [SOURCE_TABLE], 'the pushed rows');
    assertLandedIn(counts, other.drivers, [], 'the refused rows');
  });
});
