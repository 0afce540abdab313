// services: python
// Late rows land, exactly, without rescanning history (issue 13). A source receives appends whose
// event times fall before the view's watermark, interleaved with incremental runs at pinned clocks;
// after each run pyiceberg's read of the online table, reduced to the latest row per driver, equals
// the brute-force latest over every row committed so far with an event time before the run's end,
// and the scan plans read only the files added since the last run or overlapping the window. An
// overwrite and a row-level delete in the source fall back to restating a range, and say so. A
// window after now − delay is cut there, or skipped when wholly after it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { deleteRows } from '../../../engine/deletes/row-delete.js';
import { quoteLiteral } from '../../../engine/sql.js';
import { writeTableFiles } from '../../../engine/write/table-writer.js';
import { compactTable } from '../../../features/compaction/index.js';
import { defineEntity, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import type { Duration } from '../../../features/definitions.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { readWatermark } from '../../../features/online-table/table-state.js';
import type { FeatureContext } from '../../../features/context.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { commitChange } from '../../../iceberg/commit/commit.js';
import { eq, gtEq } from '../../../iceberg/expressions/expression.js';
import type { Expression } from '../../../iceberg/expressions/expression.js';
import { planScan } from '../../../iceberg/scan/planner.js';
import { rewriteFiles } from '../../../iceberg/write/rewrite-files.js';
import type { PyicebergStep } from '../../support/pyiceberg.js';
import { runPyicebergBatch, sqliteCatalog } from '../../support/pyiceberg.js';
import type { Runtime } from '../../../features/runtime.js';
import { testRuntime } from '../../support/runtime.js';
import { appendSource, createEmptySourceTable } from '../../support/online/online-view.js';
import type { SourceRow } from '../../support/online/online-view.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { defined } from '../../../contracts/defined.js';
import { microsToIso } from '../../support/iso-micros.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2024-06-01T00:00:00Z');
/** The first run's window starts here, before any event time the scenarios write. */
const FIRST_START = T0 - 48 * HOUR;
const VIEW = 'driver_late';

const scratch = scratchFolder('late-rows');

let tables = 0;
/** A fresh source table and view over it (with the given delay and lateness) on a SQLite catalog shared with pyiceberg. */
async function fixture(
  options: { delay?: Duration; lateness?: Duration; filter?: Expression } = {},
): Promise<{ runtime: Runtime; context: FeatureContext; sourceTable: string; onlineTable: string; directory: string }> {
  const name = `t${++tables}`;
  const directory = path.join(scratch, name);
  const sourceTable = `${name}.driver_stats`;
  const { filter, ...timing } = options;
  const definitions = [
    defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] }),
    defineIcebergSource({
      name: 'driver_source',
      table: sourceTable,
      timestampField: 'event_timestamp',
      createdTimestampField: 'created',
      ...defined({ filter }),
    }),
    defineFeatureView({
      name: VIEW,
      entities: ['driver'],
      source: 'driver_source',
      features: [
        { name: 'conv_rate', type: 'double' },
        { name: 'trips', type: 'long' },
      ],
      ...timing,
      online: { buckets: 2 },
    }),
  ];
  const catalog = sqliteCatalog(directory);
  assert.equal(catalog.type, 'sql');
  const runtime = await testRuntime({
    directory,
    catalog: { type: 'sql', name: 'floe_oracle', uri: catalog.uri, warehouse: catalog.warehouse },
    definitions,
    onlineNamespace: `${name}_online`,
  });
  await createEmptySourceTable(runtime.catalog, sourceTable);
  const context = {
    registry: runtime.project.registry,
    catalog: runtime.catalog,
    engine: runtime.engine,
    workDirectory: runtime.project.config.workDirectory,
  };
  return { runtime, context, sourceTable, onlineTable: `${name}_online.${VIEW}`, directory };
}

interface OnlineRow {
  readonly conv_rate: number;
  readonly trips: string;
  readonly event_ts: string;
}

/** Per driver, the latest of these rows by (event time, created time): what an online read answers. */
function bruteForceLatest(rows: readonly SourceRow[], end: number): Map<string, OnlineRow> {
  const latest = new Map<number, SourceRow>();
  for (const row of rows) {
    if (row.event >= end) continue;
    const held = latest.get(row.driver_id);
    if (!held || row.event > held.event || (row.event === held.event && row.created > held.created)) latest.set(row.driver_id, row);
  }
  return new Map(
    [...latest].map(([driver, row]) => [
      String(driver),
      { conv_rate: row.conv_rate, trips: String(row.trips), event_ts: microsToIso(BigInt(row.event) * 1000n) },
    ]),
  );
}

/** pyiceberg's rows of the online table (one snapshot each), reduced the way online reads reduce them. */
async function onlineLatest(
  catalogDirectory: string,
  onlineTable: string,
  snapshotIds: readonly bigint[],
): Promise<Map<string, OnlineRow>[]> {
  const catalog = sqliteCatalog(catalogDirectory);
  const steps: PyicebergStep[] = snapshotIds.map((snapshotId) => ({
    command: 'read',
    args: { catalog, identifier: onlineTable, snapshot_id: snapshotId.toString() },
  }));
  const replies = (await runPyicebergBatch(steps)) as { rows: Record<string, string | number | null>[] }[];
  return replies.map((reply) => {
    const latest = new Map<string, Record<string, string | number | null>>();
    for (const row of reply.rows) {
      const held = latest.get(String(row.driver_id));
      const newer =
        !held ||
        String(row.event_ts) > String(held.event_ts) ||
        (row.event_ts === held.event_ts && String(row.created_ts ?? '') > String(held.created_ts ?? ''));
      if (newer) latest.set(String(row.driver_id), row);
    }
    return new Map(
      [...latest].map(([driver, row]) => [
        driver,
        { conv_rate: Number(row.conv_rate), trips: String(row.trips), event_ts: String(row.event_ts) },
      ]),
    );
  });
}

/** A source row of a driver at T0 + `hour`, created `createdMinutes` after its event. */
function sourceRow(driver_id: number, hour: number, trips: number, createdMinutes = 0): SourceRow {
  return { driver_id, conv_rate: 0.5, trips, event: T0 + hour * HOUR, created: T0 + hour * HOUR + createdMinutes * MINUTE };
}

function sorted(map: Map<string, OnlineRow>): [string, OnlineRow][] {
  return [...map].sort(([a], [b]) => Number(a) - Number(b));
}

/** The source's data files, one per append here: how many the head snapshot's last commit added. */
async function addedDataFiles(context: FeatureContext, sourceTable: string): Promise<number> {
  const table = await context.catalog.loadTable(parseTableIdentifier(sourceTable));
  const head = table.metadata.snapshots.find((snapshot) => snapshot.snapshotId === table.metadata.currentSnapshotId);
  return Number(head?.summary['added-data-files'] ?? 0);
}

const generatedRow = fc.record({
  driver_id: fc.integer({ min: 1, max: 6 }),
  conv_rate: fc.integer({ min: 0, max: 1000 }).map((value) => value / 1000),
  trips: fc.integer({ min: 0, max: 10_000 }),
  /** Minutes from T0 − 24 h; the run's clock decides which of them are late, current or future. */
  minute: fc.integer({ min: 0, max: 60 * 60 }),
  createdDelay: fc.integer({ min: 0, max: 90 }),
});

const scenario = fc.record({
  delayMinutes: fc.constantFrom(0, 30),
  latenessHours: fc.option(fc.constantFrom(1, 3), { nil: undefined }),
  runs: fc.array(
    fc.record({
      appends: fc.array(fc.array(generatedRow, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 2 }),
      /** The run's clock relative to its scheduled end (may be before it: the window is then cut). */
      clockMinutes: fc.integer({ min: -150, max: 60 }),
    }),
    { minLength: 2, maxLength: 4 },
  ),
});

describe('late rows (issue 13)', () => {
  test('property: after each incremental run the online table equals the latest over every committed row before its end, and old files are never read', async () => {
    let lateRowsSeen = 0;
    let lateFilesRead = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (input) => {
        const { runtime, context, sourceTable, onlineTable, directory } = await fixture({
          ...(input.delayMinutes === 0 ? {} : { delay: { minutes: input.delayMinutes } }),
          ...(input.latenessHours === undefined ? {} : { lateness: { hours: input.latenessHours } }),
        });
        try {
          const committed: SourceRow[] = [];
          const files: { min: number; max: number; run: number }[] = [];
          const seen = new Set<string>();
          const checks: { snapshotId: bigint; expected: Map<string, OnlineRow> }[] = [];
          let watermark: number | null = null;
          for (const [index, run] of input.runs.entries()) {
            for (const generated of run.appends) {
              const rows: SourceRow[] = [];
              for (const candidate of generated) {
                const event = T0 - 24 * HOUR + candidate.minute * MINUTE;
                const created = event + candidate.createdDelay * MINUTE;
                // One (driver, event, created) at most once: a full tie has no single answer to check.
                const key = `${candidate.driver_id}/${event}/${created}`;
                if (seen.has(key)) continue;
                seen.add(key);
                rows.push({ driver_id: candidate.driver_id, conv_rate: candidate.conv_rate, trips: candidate.trips, event, created });
              }
              if (rows.length === 0) continue;
              await appendSource(context, sourceTable, rows);
              assert.equal(await addedDataFiles(context, sourceTable), 1, 'each append writes one data file');
              committed.push(...rows);
              files.push({ min: Math.min(...rows.map((row) => row.event)), max: Math.max(...rows.map((row) => row.event)), run: index });
              if (watermark !== null) lateRowsSeen += rows.filter((row) => row.event < watermark!).length;
            }
            // Runs are scheduled 6 hours apart; each one's clock is past the previous one's.
            const scheduledEnd = T0 + (index + 1) * 6 * HOUR;
            const now = new Date(scheduledEnd + run.clockMinutes * MINUTE);
            const start: number = watermark ?? FIRST_START;
            const result = await materializeWindow(context, VIEW, { start: new Date(start), end: new Date(scheduledEnd) }, `run-${index}`, {
              incremental: true,
              now,
            });
            assert.equal(result.skipped, undefined);

            const end = Math.min(scheduledEnd, now.getTime() - input.delayMinutes * MINUTE);
            assert.equal(result.window.end.getTime(), end, 'the window ends at the scheduled time or now − delay, whichever is first');
            const lateness = (input.latenessHours ?? 0) * HOUR;
            assert.equal(result.window.start.getTime(), watermark === null ? start - lateness : watermark - lateness);
            assert.equal(result.late?.fallback, undefined);
            const windowStart = result.window.start.getTime();
            // Files read: those overlapping the window (by their event-time bounds), and those added
            // since the last run holding rows before its start. No other file is opened.
            const overlapping = files.filter((file) => file.max >= windowStart && file.min < end).length;
            const lateFiles = index === 0 ? 0 : files.filter((file) => file.run === index && file.min < windowStart).length;
            assert.equal(result.scan.dataFiles, overlapping, 'the window scan reads only files overlapping the window');
            assert.equal(result.late?.files, lateFiles, 'the late scan reads only files added since the last run');
            assert.equal(
              result.late?.sinceSnapshotId === null,
              index === 0,
              'the first run has no cursor; later runs read from the one before',
            );
            lateFilesRead += lateFiles;

            assert.ok(result.snapshotId !== null);
            checks.push({ snapshotId: result.snapshotId, expected: bruteForceLatest(committed, end) });
            watermark = end;
            const stored = await readWatermark(context, VIEW);
            assert.equal(stored?.getTime(), end);
            assert.ok(stored!.getTime() <= now.getTime(), 'the watermark never passes the present');
          }
          const reads = await onlineLatest(
            directory,
            onlineTable,
            checks.map((check) => check.snapshotId),
          );
          checks.forEach((check, index) => assert.deepEqual(sorted(reads[index]!), sorted(check.expected), `after run ${index}`));
        } finally {
          await runtime.close();
        }
      }),
      { numRuns: 6, seed: Number(process.env.FLOE_PROPERTY_SEED ?? 20240613) },
    );
    assert.ok(lateRowsSeen > 5, `the scenarios append rows before the watermark (${lateRowsSeen})`);
    assert.ok(lateFilesRead > 2, `the late scans read appended files (${lateFilesRead})`);
  });

  test('an overwrite and a row-level delete in the source fall back to restating the range, and say so', async () => {
    const { runtime, context, sourceTable, onlineTable, directory } = await fixture();
    try {
      const first = [sourceRow(1, 1, 10), sourceRow(2, 2, 20), sourceRow(3, 3, 30)];
      await appendSource(context, sourceTable, first);
      const run1 = await materializeWindow(context, VIEW, { start: new Date(T0), end: new Date(T0 + 6 * HOUR) }, 'run-1', {
        incremental: true,
        now: new Date(T0 + 6 * HOUR),
      });
      assert.equal(run1.rows, 3);

      // An overwrite replaces the first file: driver 2 gets a newer version of its row (before the
      // watermark), driver 1 keeps its row. A late append lands beside it.
      const source = await context.catalog.loadTable(parseTableIdentifier(sourceTable));
      const plan = await planScan(source);
      const replacement = [sourceRow(1, 1, 10), sourceRow(2, 2, 21, 5), sourceRow(3, 3, 30)];
      const added = await context.engine.withConnection((connection) =>
        writeTableFiles(connection, source, {
          query: valuesQuery(replacement),
          fileNamePrefix: 'overwrite',
          localDirectory: path.join(directory, 'overwrite'),
        }),
      );
      await commitChange(
        context.catalog,
        parseTableIdentifier(sourceTable),
        rewriteFiles(
          plan.tasks.map((task) => task.dataFile),
          added,
          { operation: 'overwrite' },
        ),
      );
      const lateAppend = [sourceRow(4, 4, 40)];
      await appendSource(context, sourceTable, lateAppend);
      const run2 = await materializeWindow(context, VIEW, { start: new Date(T0 + 6 * HOUR), end: new Date(T0 + 12 * HOUR) }, 'run-2', {
        incremental: true,
        now: new Date(T0 + 12 * HOUR),
      });
      assert.match(
        run2.late?.fallback ?? '',
        /^source snapshot \d+ is an overwrite, not an append: restating \[2024-06-01T01:00:00Z, 2024-06-01T12:00:00Z\)$/,
      );
      assert.equal(
        run2.window.start.toISOString(),
        '2024-06-01T01:00:00.000Z',
        'the window reaches back to the earliest event time the changes touched',
      );
      assert.equal(run2.late?.files, 0);

      // A row-level delete (position deletes) of driver 3's row, and another late append.
      const deletes = await deleteRows(await context.catalog.loadTable(parseTableIdentifier(sourceTable)), {
        engine: context.engine,
        filter: eq('driver_id', 3),
        workDirectory: path.join(directory, 'delete'),
      });
      assert.ok(deletes.change);
      await commitChange(context.catalog, parseTableIdentifier(sourceTable), deletes.change);
      const secondLate = [sourceRow(5, 5, 50)];
      await appendSource(context, sourceTable, secondLate);
      const run3 = await materializeWindow(context, VIEW, { start: new Date(T0 + 12 * HOUR), end: new Date(T0 + 18 * HOUR) }, 'run-3', {
        incremental: true,
        now: new Date(T0 + 18 * HOUR),
      });
      assert.match(
        run3.late?.fallback ?? '',
        /^source snapshot \d+ is a delete, not an append: restating \[2024-06-01T01:00:00Z, 2024-06-01T18:00:00Z\)$/,
      );
      assert.equal(run3.scan.positionDeleteFiles, 1, 'the restated range is read merge-on-read');

      // Back to appends only: the next run reads incrementally again.
      await appendSource(context, sourceTable, [sourceRow(6, 6, 60)]);
      const run4 = await materializeWindow(context, VIEW, { start: new Date(T0 + 18 * HOUR), end: new Date(T0 + 24 * HOUR) }, 'run-4', {
        incremental: true,
        now: new Date(T0 + 24 * HOUR),
      });
      assert.equal(run4.late?.fallback, undefined);
      assert.equal(run4.late?.files, 1);
      assert.equal(run4.scan.dataFiles, 0, 'no source file overlaps the window: none is read for it');

      const [afterOverwrite, afterDelete, afterAppend] = await onlineLatest(directory, onlineTable, [
        run2.snapshotId!,
        run3.snapshotId!,
        run4.snapshotId!,
      ]);
      const expectedAfterOverwrite = bruteForceLatest([...replacement, ...lateAppend], T0 + 12 * HOUR);
      assert.deepEqual(sorted(afterOverwrite!), sorted(expectedAfterOverwrite), 'the overwrite added driver 2 its newer row');
      assert.equal(afterOverwrite!.get('2')?.trips, '21');
      // The online table only ever adds rows: the deleted row of driver 3 stays (a restated row never goes backwards).
      assert.deepEqual(sorted(afterDelete!), sorted(bruteForceLatest([...replacement, ...lateAppend, ...secondLate], T0 + 18 * HOUR)));
      assert.equal(afterAppend!.get('6')?.trips, '60');
    } finally {
      await runtime.close();
    }
  });

  test('a compaction of the source (a replace) changes no row: late rows appended before it are still read incrementally', async () => {
    const { runtime, context, sourceTable, onlineTable, directory } = await fixture();
    try {
      const first = [sourceRow(1, 1, 10), sourceRow(2, 2, 20)];
      await appendSource(context, sourceTable, first);
      await materializeWindow(context, VIEW, { start: new Date(T0), end: new Date(T0 + 6 * HOUR) }, 'run-1', {
        incremental: true,
        now: new Date(T0 + 6 * HOUR),
      });
      // Two late appends, then a compaction merging every source file (both late ones included) into one.
      const late = [sourceRow(1, 3, 11), sourceRow(3, 4, 30)];
      await appendSource(context, sourceTable, [late[0]!]);
      await appendSource(context, sourceTable, [late[1]!]);
      const compacted = await compactTable(context, { kind: 'source', table: sourceTable }, { minFiles: 0, skipCleanup: true });
      assert.equal(compacted.dataFilesAfter, 1);
      const current = [sourceRow(4, 7, 40)];
      await appendSource(context, sourceTable, current);

      const run2 = await materializeWindow(context, VIEW, { start: new Date(T0 + 6 * HOUR), end: new Date(T0 + 12 * HOUR) }, 'run-2', {
        incremental: true,
        now: new Date(T0 + 12 * HOUR),
      });
      assert.equal(run2.late?.fallback, undefined, 'the replace restated nothing');
      assert.equal(run2.window.start.toISOString(), '2024-06-01T06:00:00.000Z');
      assert.deepEqual([run2.late?.files, run2.late?.rows], [2, 2], 'the two late files, read from the appends that added them');
      const [after] = await onlineLatest(directory, onlineTable, [run2.snapshotId!]);
      assert.deepEqual(sorted(after!), sorted(bruteForceLatest([...first, ...late, ...current], T0 + 12 * HOUR)));
    } finally {
      await runtime.close();
    }
  });

  test("the source's own filter applies to the window's rows and to late rows", async () => {
    const { runtime, context, sourceTable, onlineTable, directory } = await fixture({ filter: gtEq('trips', 10) });
    try {
      await appendSource(context, sourceTable, [sourceRow(1, 1, 10), sourceRow(1, 2, 5), sourceRow(2, 3, 20)]);
      const first = await materializeWindow(context, VIEW, { start: new Date(T0), end: new Date(T0 + 6 * HOUR) }, 'run-1', {
        incremental: true,
        now: new Date(T0 + 6 * HOUR),
      });
      // Late rows: driver 1's newer row is filtered out, driver 2's counts.
      await appendSource(context, sourceTable, [sourceRow(1, 4, 1), sourceRow(2, 4, 30)]);
      const second = await materializeWindow(context, VIEW, { start: new Date(T0 + 6 * HOUR), end: new Date(T0 + 12 * HOUR) }, 'run-2', {
        incremental: true,
        now: new Date(T0 + 12 * HOUR),
      });
      assert.equal(second.late?.files, 1);
      const [afterFirst, afterSecond] = await onlineLatest(directory, onlineTable, [first.snapshotId!, second.snapshotId!]);
      assert.deepEqual(sorted(afterFirst!), sorted(bruteForceLatest([sourceRow(1, 1, 10), sourceRow(2, 3, 20)], T0 + 6 * HOUR)));
      assert.deepEqual(
        sorted(afterSecond!),
        sorted(bruteForceLatest([sourceRow(1, 1, 10), sourceRow(2, 3, 20), sourceRow(2, 4, 30)], T0 + 12 * HOUR)),
      );
    } finally {
      await runtime.close();
    }
  });

  test('a window after now − delay is cut there, or skipped with a reason and nothing committed', async () => {
    const { runtime, context, sourceTable, onlineTable } = await fixture({ delay: { minutes: 30 } });
    try {
      await appendSource(context, sourceTable, [
        { driver_id: 1, conv_rate: 0.1, trips: 1, event: T0 + HOUR, created: T0 + HOUR },
        { driver_id: 1, conv_rate: 0.2, trips: 2, event: T0 + 2 * HOUR - 10 * MINUTE, created: T0 + 2 * HOUR },
      ]);
      const now = new Date(T0 + 2 * HOUR);
      const cut = await materializeWindow(context, VIEW, { start: new Date(T0), end: new Date(T0 + 3 * HOUR) }, 'cut', { now });
      assert.equal(cut.window.end.toISOString(), '2024-06-01T01:30:00.000Z');
      assert.equal(cut.rows, 1, 'only the row before now − delay');
      assert.equal((await readWatermark(context, VIEW))?.toISOString(), '2024-06-01T01:30:00.000Z');

      const online = await context.catalog.loadTable(parseTableIdentifier(onlineTable));
      const skipped = await materializeWindow(
        context,
        VIEW,
        { start: new Date(T0 + 90 * MINUTE), end: new Date(T0 + 3 * HOUR) },
        'future',
        { incremental: true, now },
      );
      assert.equal(
        skipped.skipped,
        `${VIEW} window [2024-06-01T01:30:00Z, 2024-06-01T03:00:00Z) ends after now − delay (2024-06-01T01:30:00Z): nothing to materialize yet`,
      );
      assert.equal(skipped.snapshotId, null);
      const unchanged = await context.catalog.loadTable(parseTableIdentifier(onlineTable));
      assert.equal(unchanged.metadata.currentSnapshotId, online.metadata.currentSnapshotId, 'nothing was committed');
      assert.equal((await readWatermark(context, VIEW))?.toISOString(), '2024-06-01T01:30:00.000Z');
    } finally {
      await runtime.close();
    }
  });
});

function valuesQuery(rows: readonly SourceRow[]): string {
  const timestamp = (ms: number): string => `CAST(${quoteLiteral(new Date(ms).toISOString())} AS TIMESTAMPTZ)`;
  const values = rows.map(
    (row) =>
      `(${row.driver_id}::BIGINT, ${row.conv_rate}::DOUBLE, ${row.trips}::BIGINT, ${timestamp(row.event)}, ${timestamp(row.created)})`,
  );
  return `SELECT * FROM (VALUES ${values.join(', ')}) AS v(driver_id, conv_rate, trips, event_timestamp, created)`;
}
