/**
 * Request-time reads of an aggregated view (fed by a push source) held against brute force: at
 * each instant, every driver's online value equals `referenceAggregates` over its events.
 */
import assert from 'node:assert/strict';
import type { AggregatedFeature } from '../../features/aggregations.js';
import { OnlineStore } from '../../features/online/online-store.js';
import { presentValue } from '../../features/online/response.js';
import type { Runtime } from '../../features/runtime.js';
import { referenceAggregates } from './aggregation-reference.js';
import type { ReferenceEvent } from './aggregation-reference.js';

/** Per aggregated column, per driver, its events. */
export type EventsByColumn = ReadonlyMap<string, ReadonlyMap<number, readonly ReferenceEvent[]>>;

/** Rows with driver_id, an event time (`timeField`, ISO or as pyiceberg prints it) and the columns, grouped by column and driver. */
export function eventsByColumn(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  timeField = 'event_timestamp',
): EventsByColumn {
  const grouped = new Map(columns.map((column) => [column, new Map<number, ReferenceEvent[]>()]));
  for (const row of rows) {
    const eventTs = BigInt(Date.parse(String(row[timeField]))) * 1000n;
    const driver = Number(row.driver_id);
    for (const column of columns) {
      const byDriver = grouped.get(column)!;
      const held = byDriver.get(driver) ?? [];
      held.push({ eventTs, createdTs: null, value: row[column] === null ? null : Number(row[column]) });
      byDriver.set(driver, held);
    }
  }
  return grouped;
}

/** Reads `viewName` for `drivers` at each instant (ms) with the store's clock pinned there, and compares with brute force. */
export async function checkReadsAgainstBruteForce(
  runtime: Runtime,
  request: {
    readonly viewName: string;
    readonly features: readonly AggregatedFeature[];
    readonly events: EventsByColumn;
    readonly drivers: readonly number[];
    readonly instants: readonly number[];
  },
): Promise<void> {
  for (const at of request.instants) {
    const store = new OnlineStore({
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      clock: () => at,
    });
    const response = await store.getOnlineFeatures({
      features: [request.viewName],
      entityRows: request.drivers.map((driver) => ({ driver_id: driver })),
    });
    request.drivers.forEach((driver, index) => {
      const expected = request.features.map((feature) =>
        presentValue(
          feature.type,
          referenceAggregates([feature], request.events.get(feature.column)?.get(driver) ?? [], BigInt(at) * 1000n)[0] ?? null,
        ),
      );
      const online = request.features.map((feature) => response.features.find((vector) => vector.feature === feature.name)!.values[index]);
      assert.deepEqual(online, expected, `${request.viewName} at ${new Date(at).toISOString()}, driver ${driver}`);
    });
  }
}
