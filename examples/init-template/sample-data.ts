// What a `floe init` project's generate_data.mjs runs: hourly statistics of sample drivers over the
// last days, appended to the project's source table (created the first time).
import { fileURLToPath } from 'node:url';
import { appendQuery } from '../../engine/write/append-query.js';
import type { CreateTableRequest } from '../../iceberg/catalog/catalog.js';
import { loadProject } from '../../features/project.js';
import { parseTableIdentifier } from '../../iceberg/catalog/identifier.js';
import { FloeError } from '../../core/errors.js';
import { isoMillis } from '../../contracts/instants.js';
import { openRuntime } from '../../features/runtime.js';

const DAY = 86_400_000;

/** The sample source table: hourly driver statistics, partitioned by day of the event. */
export const DRIVER_STATS_TABLE: CreateTableRequest = {
  schema: {
    schemaId: 0,
    identifierFieldIds: [],
    fields: [
      { id: 1, name: 'driver_id', type: 'long', required: true },
      { id: 2, name: 'conv_rate', type: 'double', required: false },
      { id: 3, name: 'acc_rate', type: 'double', required: false },
      { id: 4, name: 'avg_daily_trips', type: 'long', required: false },
      { id: 5, name: 'event_timestamp', type: 'timestamptz', required: true },
      { id: 6, name: 'created', type: 'timestamptz', required: false },
    ],
  },
  partitionSpec: { specId: 0, fields: [{ sourceId: 5, fieldId: 1000, name: 'event_timestamp_day', transform: 'day' }] },
};

/** One row per driver and hour from `startMs`, values varying by driver and hour, reproducibly. */
export function driverStatsQuery(rows: {
  readonly startMs: number;
  readonly firstDriver: number;
  readonly drivers: number;
  readonly hours: number;
}): string {
  const start = rows.startMs / 1000;
  return `
    SELECT driver_id,
           (hash(driver_id, hour, 'conv') % 1000) / 1000.0 AS conv_rate,
           (hash(driver_id, hour, 'acc') % 1000) / 1000.0 AS acc_rate,
           (hash(driver_id, hour, 'trips') % 200)::BIGINT AS avg_daily_trips,
           to_timestamp(${start} + hour * 3600) AS event_timestamp,
           to_timestamp(${start} + hour * 3600 + 300) AS created
    FROM range(${rows.firstDriver}, ${rows.firstDriver + rows.drivers}) AS drivers(driver_id), range(0, ${rows.hours}) AS hours(hour)`;
}

export interface SampleDataOptions {
  readonly days: number;
  readonly drivers: number;
  /** The last hour covered ends at this day's midnight (UTC); today's by default. */
  readonly endMs: number;
}

export async function generateSampleData(
  projectDirectory: URL | string,
  args: readonly string[] = [],
): Promise<{ rows: number; snapshotId: bigint | null; start: string; end: string }> {
  const options = parseArgs(args);
  const project = await loadProject(typeof projectDirectory === 'string' ? projectDirectory : fileURLToPath(projectDirectory));
  const runtime = await openRuntime(project);
  try {
    const { catalog, engine } = runtime;
    const view = project.registry.featureView('driver_hourly_stats');
    const identifier = parseTableIdentifier(project.registry.sourceOf(view).table);
    if (!(await catalog.namespaceExists(identifier.namespace))) await catalog.createNamespace(identifier.namespace);
    if (!(await catalog.tableExists(identifier))) {
      await catalog.createTable(identifier, DRIVER_STATS_TABLE);
    }
    const end = Math.floor(options.endMs / DAY) * DAY;
    const start = end - options.days * DAY;
    const result = await appendQuery({
      catalog,
      engine,
      identifier,
      workDirectory: project.config.workDirectory,
      query: driverStatsQuery({ startMs: start, firstDriver: 1001, drivers: options.drivers, hours: options.days * 24 }),
    });
    const rows = options.drivers * options.days * 24;
    const summary = { rows, snapshotId: result.snapshotId ?? null, start: isoMillis(start), end: isoMillis(end) };
    console.log(
      `Wrote ${rows} rows of ${options.drivers} drivers for [${summary.start}, ${summary.end}) to ${project.registry.sourceOf(view).table} (snapshot ${String(summary.snapshotId)})`,
    );
    console.log(`Next: npx floe materialize driver_hourly_stats --start ${isoMillis(end - DAY)} --end ${summary.end}`);
    return summary;
  } finally {
    await runtime.close();
  }
}

function parseArgs(args: readonly string[]): SampleDataOptions {
  const options = { days: 7, drivers: 50, endMs: Date.now() };
  for (let index = 0; index < args.length; index += 2) {
    const [flag, value] = [args[index], args[index + 1]];
    const number = Number(value);
    if (flag === '--days' || flag === '--drivers') {
      if (!Number.isInteger(number) || number < 1)
        throw new FloeError('invalid-input', `${flag} must be a positive integer, got ${JSON.stringify(value)}`);
      options[flag === '--days' ? 'days' : 'drivers'] = number;
    } else if (flag === '--end') {
      const parsed = Date.parse(value ?? '');
      if (Number.isNaN(parsed)) throw new FloeError('invalid-input', `--end must be an ISO-8601 instant, got ${JSON.stringify(value)}`);
      options.endMs = parsed;
    } else {
      throw new FloeError(
        'invalid-input',
        `Unknown option ${JSON.stringify(flag)}; generate_data.mjs takes --days N, --drivers N and --end <instant>`,
      );
    }
  }
  return options;
}
