import type { MaterializeResult } from '../contracts/materialize.js';
import { printedInstant } from '../contracts/instants.js';

/** The result with its window's instants as Floe prints them (the workflow keeps `Date.toISOString`'s). */
export function printedMaterializeResult(result: MaterializeResult): MaterializeResult {
  const { requested } = result;
  return {
    ...result,
    start: printedInstant(result.start),
    end: printedInstant(result.end),
    ...(requested === undefined ? {} : { requested: { start: printedInstant(requested.start), end: printedInstant(requested.end) } }),
  };
}

/** What a materialize run did, in the lines `floe materialize` and `materialize-incremental` print. */
export function describeMaterializeResult(result: MaterializeResult): string {
  if (result.skipped !== undefined) return `Skipped ${result.featureView}: ${result.skipped}`;
  const scan = result.scan;
  const lines = [`Materialized ${result.featureView} for [${result.start}, ${result.end})`];
  if (result.requested !== undefined)
    lines.push(`  asked for [${result.requested.start}, ${result.requested.end}): no window ends after now − the view's delay`);
  lines.push(
    `  source snapshot ${result.sourceSnapshotId ?? '(empty table)'}: ${scan.mode}, ${scan.dataFiles} data file(s), ${scan.positionDeleteFiles} position-delete and ${scan.equalityDeleteFiles} equality-delete file(s)`,
  );
  const late = result.late;
  if (late?.fallback !== undefined) lines.push(`  late rows: ${late.fallback}`);
  else if (late !== undefined && late.files > 0)
    lines.push(
      `  late rows: ${late.files} data file(s), ${late.rows} row(s) committed to the source since snapshot ${late.sinceSnapshotId ?? '(none)'}`,
    );
  lines.push(
    `  ${result.rows} entity row(s) in ${result.dataFiles} file(s)` +
      (result.alreadyCommitted
        ? `; already committed as snapshot ${result.onlineSnapshotId}`
        : `; committed snapshot ${result.onlineSnapshotId ?? '(none)'}`),
  );
  return lines.join('\n');
}
