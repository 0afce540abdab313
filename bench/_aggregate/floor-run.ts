// The floor: the DuckDB query a person would write by hand over the same data files, in its own
// process: window functions over the union of entity rows and events, per driver in time order,
// frames of (w − 1) µs PRECEDING so that an entity row at t covers t − w < event_ts ≤ t.
import path from 'node:path';
import { Engine } from '../../engine/duckdb.js';
import { cpuSecondsSince } from '../_child.js';
import { quoteLiteral, quoteLiteralList } from '../../engine/sql.js';
import { WINDOWS } from './data.js';
import type { AggregateData } from './data.js';

const { data, output, memoryLimit } = JSON.parse(process.argv[2] ?? '{}') as { data: AggregateData; output: string; memoryLimit: string };
const engine = await Engine.create({ threads: 2, memoryLimit, tempDirectory: path.join(data.directory, 'spill-floor') });
try {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const windows = WINDOWS.map(
    (window) =>
      `w_${window.name} AS (PARTITION BY driver_id ORDER BY t RANGE BETWEEN ${window.seconds * 1_000_000 - 1} PRECEDING AND CURRENT ROW)`,
  );
  const aggregates = WINDOWS.flatMap((window) => [
    `count(amount) OVER w_${window.name} AS amount_count_${window.name}`,
    `sum(amount) OVER w_${window.name} AS amount_sum_${window.name}`,
    `min(amount) OVER w_${window.name} AS amount_min_${window.name}`,
    `max(amount) OVER w_${window.name} AS amount_max_${window.name}`,
  ]);
  const unioned =
    `SELECT driver_id, event_timestamp, request_id, epoch_us(event_timestamp) AS t, NULL::DOUBLE AS amount FROM read_parquet(${quoteLiteral(data.entities)}) ` +
    `UNION ALL SELECT driver_id, NULL, NULL, epoch_us(event_timestamp), amount FROM read_parquet(${quoteLiteralList(data.files)})`;
  const selected = WINDOWS.flatMap((window) => [
    `amount_count_${window.name}`,
    `amount_sum_${window.name}`,
    `amount_sum_${window.name} / amount_count_${window.name} AS amount_avg_${window.name}`,
    `amount_min_${window.name}`,
    `amount_max_${window.name}`,
  ]);
  const sql =
    `SELECT driver_id, event_timestamp, request_id, ${selected.join(', ')} FROM (SELECT *, ${aggregates.join(', ')} FROM (${unioned}) WINDOW ${windows.join(', ')}) ` +
    `WHERE request_id IS NOT NULL ORDER BY request_id`;
  const rows = await engine.withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(`COPY (${sql}) TO ${quoteLiteral(output)} (FORMAT parquet, COMPRESSION zstd)`);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  });
  console.log(
    JSON.stringify({
      seconds: (performance.now() - started) / 1000,
      rows,
      maxRssKb: process.resourceUsage().maxRSS,
      cpuSeconds: cpuSecondsSince(cpuStart),
    }),
  );
} finally {
  engine.close();
}
