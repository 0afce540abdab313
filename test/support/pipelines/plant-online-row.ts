/** Writes a row straight into a view's online table with Floe's append path: what a buggy writer could leave there. */
import { randomUUID } from 'node:crypto';
import type { FeatureContext } from '../../../features/context.js';
import { withScratchDirectory } from '../../../features/context.js';
import { commitOutputFiles, writeOutputFiles } from '../../../features/historical/output-table.js';

/**
 * Appends one driver_stats row with the given key and event time and wrong values (conv_rate 99.5,
 * acc_rate 0.5, avg_daily_trips −1) to the view's online table, in a snapshot without a window (so
 * the watermark stays where it was).
 */
export async function plantOnlineRow(context: FeatureContext, view: string, row: { driverId: number; eventTs: string }): Promise<void> {
  const identifier = context.registry.onlineTableOf(context.registry.featureView(view));
  const table = await context.catalog.loadTable(identifier);
  const ts = (text: string): string => `CAST('${text}' AS TIMESTAMPTZ)`;
  const query =
    `SELECT ${row.driverId}::BIGINT AS driver_id, 99.5::DOUBLE AS conv_rate, 0.5::DOUBLE AS acc_rate, -1::BIGINT AS avg_daily_trips, ` +
    `${ts(row.eventTs)} AS event_ts, ${ts(row.eventTs)} AS created_ts, ${ts('2024-06-01T00:00:00Z')} AS materialized_at`;
  const name = `planted-${randomUUID()}`;
  const manifest = await withScratchDirectory(context, name, (localDirectory) =>
    context.engine.withConnection(
      async (connection) =>
        (await writeOutputFiles(connection, table, { query, fileNamePrefix: name, manifestName: name, localDirectory })).manifest,
    ),
  );
  await commitOutputFiles(context.catalog, identifier, [manifest!], { summary: { 'floe.test': 'planted wrong row' } });
}
