// services: none
// Property: whatever windows were materialized, an online read of any keys (present, missing,
// expired) answers what a brute-force pass over the source rows says: per key, the row with the
// greatest (event time, created time) inside the windows, expired when older than the TTL.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import { testRuntime } from '../../support/runtime.js';
import { appendSource, createEmptySourceTable, definitions, latestInWindows, sqlCase, VIEW } from '../../support/online/online-view.js';
import type { SourceRow } from '../../support/online/online-view.js';
import { isoMillis } from '../../../contracts/instants.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const HOUR = 3_600_000;
const START = Date.parse('2024-06-01T00:00:00Z');

const scratch = scratchFolder('online-property');

const row = fc.record({
  driver_id: fc.integer({ min: 1, max: 8 }),
  conv_rate: fc.integer({ min: 0, max: 1000 }).map((value) => value / 1000),
  trips: fc.integer({ min: 0, max: 10_000 }),
  minute: fc.integer({ min: 0, max: 48 * 60 - 1 }),
  createdDelay: fc.integer({ min: 0, max: 120 }),
});
const window = fc
  .tuple(fc.integer({ min: 0, max: 47 }), fc.integer({ min: 1, max: 24 }))
  .map(([start, length]) => ({ start: START + start * HOUR, end: START + Math.min(48, start + length) * HOUR }));

const scenario = fc.record({
  rows: fc.array(row, { minLength: 20, maxLength: 120 }),
  windows: fc.array(window, { minLength: 1, maxLength: 4, size: 'medium' }),
  keys: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 20 }),
  ttlHours: fc.option(fc.integer({ min: 1, max: 48 }), { nil: undefined }),
  clockHours: fc.integer({ min: 0, max: 72 }),
  buckets: fc.constantFrom(1, 3, 8),
});

test('online reads equal the latest rows computed from the source by brute force', async () => {
  let run = 0;
  // Keys whose rows sit in more than one materialized window, so the read must pick among files.
  let keysInSeveralWindows = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async (input) => {
      run++;
      // One (driver, event time, created time) at most once: a full tie has no single answer to check.
      const seen = new Set<string>();
      const rows: SourceRow[] = [];
      for (const generated of input.rows) {
        const event = START + generated.minute * 60_000;
        const created = event + generated.createdDelay * 60_000;
        const key = `${generated.driver_id}/${event}/${created}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push({ driver_id: generated.driver_id, conv_rate: generated.conv_rate, trips: generated.trips, event, created });
      }
      const namespace = `p${run}`;
      const sourceTable = `${namespace}.driver_stats`;
      const directory = path.join(scratch, `run-${run}`);
      const runtime = await testRuntime({
        directory,
        catalog: sqlCase(directory).config,
        definitions: definitions(sourceTable, {
          buckets: input.buckets,
          ...(input.ttlHours === undefined ? {} : { ttl: { hours: input.ttlHours } }),
        }),
        onlineNamespace: `${namespace}_online`,
      });
      try {
        const context = {
          registry: runtime.project.registry,
          catalog: runtime.catalog,
          engine: runtime.engine,
          workDirectory: runtime.project.config.workDirectory,
        };
        await createEmptySourceTable(runtime.catalog, sourceTable);
        await appendSource(context, sourceTable, rows);
        for (const [index, materialized] of input.windows.entries()) {
          await materializeWindow(
            context,
            VIEW,
            { start: new Date(materialized.start), end: new Date(materialized.end) },
            `run-${run}-${index}`,
          );
        }
        const clock = START + input.clockHours * HOUR;
        const store = new OnlineStore({
          registry: runtime.project.registry,
          catalog: runtime.catalog,
          engine: runtime.engine,
          refreshIntervalMs: 0,
          clock: () => clock,
        });
        const response = await store.getOnlineFeatures({ features: [VIEW], entityRows: input.keys.map((driver_id) => ({ driver_id })) });
        // A row cache too small for any file: every file is read for the keys asked only, with the same answer.
        const byKey = new OnlineStore({
          registry: runtime.project.registry,
          catalog: runtime.catalog,
          engine: runtime.engine,
          refreshIntervalMs: 0,
          clock: () => clock,
          maxCachedRows: 1,
        });
        const answer = await byKey.getOnlineFeatures({ features: [VIEW], entityRows: input.keys.map((driver_id) => ({ driver_id })) });
        assert.deepEqual(answer, response);
        assert.equal(byKey.stats().rowCache.files, 0);

        const expected = latestInWindows(rows, input.windows);
        for (const driver of new Set(input.keys)) {
          const windows = input.windows.filter((materialized) =>
            rows.some(
              (candidate) => candidate.driver_id === driver && candidate.event >= materialized.start && candidate.event < materialized.end,
            ),
          );
          if (windows.length > 1) keysInSeveralWindows++;
        }
        const oldest = input.ttlHours === undefined ? -Infinity : clock - input.ttlHours * HOUR;
        const conv = response.features.find((feature) => feature.feature === 'conv_rate')!;
        const trips = response.features.find((feature) => feature.feature === 'trips')!;
        input.keys.forEach((driver, index) => {
          const want = expected.get(driver);
          const status = want === undefined ? 'NOT_FOUND' : want.event < oldest ? 'OUTSIDE_MAX_AGE' : 'PRESENT';
          assert.equal(conv.statuses[index], status, `driver ${driver}`);
          assert.equal(trips.statuses[index], status);
          assert.equal(conv.values[index], status === 'PRESENT' ? want!.conv_rate : null, `driver ${driver}`);
          assert.equal(trips.values[index], status === 'PRESENT' ? want!.trips : null, `driver ${driver}`);
          assert.equal(conv.eventTimestamps[index], want === undefined ? null : isoMillis(want.event));
        });
      } finally {
        await runtime.close();
      }
    }),
    { numRuns: 15, seed: Number(process.env.FLOE_PROPERTY_SEED ?? 20240601) },
  );
  assert.ok(keysInSeveralWindows > 5, `the scenarios put keys in several windows (${keysInSeveralWindows})`);
});
