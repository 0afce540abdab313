// The floor: the DuckDB ASOF query a person would write by hand over the same data files, in its
// own process. It does not settle ties on the created timestamp (the generated data has none).
import path from 'node:path';
import { Engine } from '../../engine/duckdb.js';
import { quoteLiteral, quoteLiteralList } from '../../engine/sql.js';
import { featureName, FEATURES, TTL_DAYS, VIEWS } from './data.js';
import type { BenchData } from './data.js';

const { data, output, memoryLimit } = JSON.parse(process.argv[2] ?? '{}') as { data: BenchData; output: string; memoryLimit: string };
const engine = await Engine.create({ threads: 2, memoryLimit, tempDirectory: path.join(data.directory, 'spill-floor') });
try {
  const started = performance.now();
  const features = VIEWS.flatMap((view) =>
    FEATURES.map(
      (index) =>
        `CASE WHEN ${view}.event_timestamp >= e.event_timestamp - INTERVAL ${TTL_DAYS} DAY THEN ${view}.${featureName(view, index)} END AS ${featureName(view, index)}`,
    ),
  );
  const joins = VIEWS.map(
    (view) =>
      `ASOF LEFT JOIN read_parquet(${quoteLiteralList(data.files[view] ?? [])}) AS ${view} ON e.driver_id = ${view}.driver_id AND e.event_timestamp >= ${view}.event_timestamp`,
  );
  const sql = `SELECT e.*, ${features.join(', ')} FROM read_parquet(${quoteLiteral(data.entities)}) AS e ${joins.join(' ')}`;
  const rows = await engine.withConnection(async (connection) => {
    const reader = await connection.runAndReadAll(`COPY (${sql}) TO ${quoteLiteral(output)} (FORMAT parquet, COMPRESSION zstd)`);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  });
  console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, rows, maxRssKb: process.resourceUsage().maxRSS }));
} finally {
  engine.close();
}
