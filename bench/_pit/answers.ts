// The bench's answers compared, by request id and feature values, in DuckDB: a fast wrong answer
// must not pass as a win.
import { Engine } from '../../engine/duckdb.js';
import { quoteLiteral } from '../../engine/sql.js';
import { featureName, FEATURES, VIEWS } from './data.js';

/**
 * Rows of the peer's answer (by request id and features) that Floe's has not (null without a peer's
 * answer: it could not run), and Floe's rows the floor's has not.
 */
export async function compare(
  floeOut: string,
  floorOut: string,
  feastOut: string | undefined,
): Promise<{ floor: number; feast: number | null }> {
  return withComparison(async (rowsOnlyIn) => ({
    floor: (await rowsOnlyIn(floorOut, floeOut)) + (await rowsOnlyIn(floeOut, floorOut)),
    feast: feastOut === undefined ? null : await rowsOnlyIn(feastOut, floeOut),
  }));
}

/**
 * How far another answer (a Parquet file, or an Iceberg table's data files) is from Floe's, counted
 * both ways: the larger of its rows Floe's has not and Floe's rows it has not, so a missing row, an
 * extra row and a changed row each count.
 */
export async function rowsDifferingEitherWay(floeOut: string, otherOut: string | readonly string[]): Promise<number> {
  return withComparison(async (rowsOnlyIn) => Math.max(await rowsOnlyIn(otherOut, floeOut), await rowsOnlyIn(floeOut, otherOut)));
}

/** Runs `compare` with a counter of the rows (request id and features) of one Parquet file that another has not. */
async function withComparison<T>(
  compare: (rowsOnlyIn: (file: string | readonly string[], other: string | readonly string[]) => Promise<number>) => Promise<T>,
): Promise<T> {
  const engine = await Engine.create({ threads: 2, memoryLimit: '4GB' });
  try {
    return await engine.withConnection(async (connection) => {
      const columns = ['request_id', ...VIEWS.flatMap((view) => FEATURES.map((index) => featureName(view, index)))].join(', ');
      return compare(async (file, other) => {
        const sql = `SELECT count(*) FROM (SELECT ${columns} FROM read_parquet(${files(file)}) EXCEPT ALL SELECT ${columns} FROM read_parquet(${files(other)}))`;
        return Number((await connection.runAndReadAll(sql)).getRows()[0]?.[0] ?? 0);
      });
    });
  } finally {
    engine.close();
  }
}

function files(given: string | readonly string[]): string {
  return typeof given === 'string' ? quoteLiteral(given) : `[${given.map(quoteLiteral).join(', ')}]`;
}
