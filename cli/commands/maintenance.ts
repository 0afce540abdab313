import type { Command } from 'commander';
import { formatByteSize } from '../../iceberg/util/byte-size.js';
import type { RemoveOrphanFilesResult } from '../../iceberg/maintenance/remove-orphan-files.js';
import type { Redactor } from '../../core/redaction.js';

interface RemoveOrphansCommandOptions {
  table?: string;
  olderThan: string;
  dryRun?: boolean;
  force?: boolean;
  project: string;
  json?: boolean;
}

/** Files a dry run lists by name in its text output; --json lists all. */
const LISTED_FILES = 20;

export function maintenanceCommand(program: Command, redactor: Redactor): void {
  const maintenance = program.command('maintenance').description('Table upkeep beyond what the scheduled compaction does');
  maintenance
    .command('remove-orphans')
    .description(
      "Delete the files under a table's location that no metadata refers to (left by commits that failed or were interrupted), once they are older than --older-than",
    )
    .argument('[feature-view]', 'the feature view whose online table to clean')
    .option('--table <namespace.table>', 'clean this table instead (any table of the catalog)')
    .option(
      '--older-than <duration>',
      'only files last modified longer ago than this, e.g. 72h or 3d; under 1d is refused (a younger file may belong to a commit still in flight) unless --force',
      '3d',
    )
    .option('--dry-run', 'list the orphans, delete nothing')
    .option('--force', 'accept an --older-than under 1d: only when nothing writes the table meanwhile')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (featureView: string | undefined, options: RemoveOrphansCommandOptions) => {
      const { checkInFlightAge, durationSeconds, viewOrTable } = await import('../arguments.js');
      const { formatTableIdentifier } = await import('../../iceberg/catalog/identifier.js');
      const { removeOrphanFiles } = await import('../../iceberg/maintenance/remove-orphan-files.js');
      const { printResult } = await import('../output.js');
      const { withTable } = await import('./table.js');
      const subject = viewOrTable('maintenance remove-orphans', featureView, options.table);
      const olderThanSeconds = durationSeconds(options.olderThan, '--older-than');
      checkInFlightAge(olderThanSeconds, options.olderThan, '--older-than', options.force);
      const nowMs = Date.now();
      const { table, result } = await withTable(
        redactor,
        options.project,
        (project) =>
          'table' in subject
            ? subject.table
            : formatTableIdentifier(project.registry.onlineTableOf(project.registry.featureView(subject.featureView))),
        async (loaded) => ({
          table: formatTableIdentifier(loaded.identifier),
          result: await removeOrphanFiles(loaded, { nowMs, olderThanMs: nowMs - olderThanSeconds * 1000, dryRun: options.dryRun ?? false }),
        }),
      );
      printResult(
        redactor,
        { table, olderThanSeconds, ...summaryOf(result), files: result.orphans.map((orphan) => orphan.location) },
        options,
        () => describe(table, options.olderThan, result),
      );
    });
}

function summaryOf(result: RemoveOrphanFilesResult): {
  orphans: number;
  bytes: number;
  tooYoung: number;
  referencedFiles: number;
  dryRun: boolean;
} {
  const bytes = result.orphans.reduce((sum, orphan) => sum + orphan.size, 0);
  return {
    orphans: result.orphans.length,
    bytes,
    tooYoung: result.tooYoung,
    referencedFiles: result.referencedFiles,
    dryRun: result.dryRun,
  };
}

function describe(table: string, olderThan: string, result: RemoveOrphanFilesResult): string {
  const { orphans, bytes, tooYoung } = summaryOf(result);
  const lines = [
    `${result.dryRun ? 'Would remove' : 'Removed'} ${orphans} orphan file(s) (${formatByteSize(bytes)}) from table ${table}` +
      (tooYoung === 0 ? '' : `; ${tooYoung} unreferenced file(s) younger than ${olderThan} left alone`),
  ];
  if (result.dryRun) {
    lines.push(...result.orphans.slice(0, LISTED_FILES).map((orphan) => `  ${orphan.location}`));
    if (orphans > LISTED_FILES) lines.push(`  … and ${orphans - LISTED_FILES} more (--json lists them all)`);
  }
  return lines.join('\n');
}
