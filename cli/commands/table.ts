import type { Command } from 'commander';
import { FloeError } from '../../core/errors.js';
import { formatByteSize } from '../../iceberg/util/byte-size.js';
import type { Project } from '../../features/project.js';
import type { Catalog, LoadedTable } from '../../iceberg/catalog/catalog.js';
import type { TableInspection } from '../inspect-table.js';
import type { TableLoadResult } from '../../features/table-load/load-file.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

export function tableCommand(program: Command, redactor: Redactor): void {
  const table = program.command('table').description("Look at a table of the project's catalog, or load a file into one");
  table
    .command('inspect')
    .description("Snapshots, data and delete files, partitions and sizes of a table (what pyiceberg's table.inspect shows)")
    .argument('<table>', 'namespace.table')
    .option('--snapshot <id>', 'list the files of this snapshot instead of the current one')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print everything as JSON')
    .action(async (name: string, options: { snapshot?: string; project: string; json?: boolean }) => {
      const snapshotId = options.snapshot === undefined ? undefined : snapshotArgument(options.snapshot);
      const { inspectTable } = await import('../inspect-table.js');
      const { printResult } = await import('../output.js');
      const inspection = await withTable(redactor, options.project, name, (loaded) => inspectTable(loaded, defined({ snapshotId })));
      printResult(redactor, inspection, options, () => describeInspection(inspection));
    });
  table
    .command('head')
    .description('Print the first rows of a table (of its current snapshot, or of --snapshot), deletes applied')
    .argument('<table>', 'namespace.table')
    .option('--limit <n>', 'rows to print', '10')
    .option('--snapshot <id>', 'read this snapshot instead of the current one')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the rows as JSON')
    .action(async (name: string, options: { limit: string; snapshot?: string; project: string; json?: boolean }) => {
      const snapshotId = options.snapshot === undefined ? undefined : snapshotArgument(options.snapshot);
      const { positiveInteger } = await import('../arguments.js');
      const limit = positiveInteger(options.limit, '--limit');
      const { Engine } = await import('../../engine/duckdb.js');
      const { tableHead, describeTableHead } = await import('../table-head.js');
      const { printResult } = await import('../output.js');
      const head = await withTable(redactor, options.project, name, async (loaded) => {
        const engine = await Engine.create();
        try {
          return await tableHead(loaded, engine, snapshotId === undefined ? { limit } : { limit, snapshotId });
        } finally {
          engine.close();
        }
      });
      printResult(redactor, head, options, () => describeTableHead(head));
    });
  loadCommand(table, redactor);
  table
    .command('upgrade')
    .description('Move a table Floe owns (an online table, a training set) to a later Iceberg format version')
    .argument('<table>', 'namespace.table')
    .requiredOption('--format-version <n>', 'the version to move to (3)')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: { formatVersion: string; project: string; json?: boolean }) => {
      const formatVersion = formatVersionArgument(options.formatVersion);
      const { upgradeTable } = await import('../../features/table-upgrade.js');
      const { printResult } = await import('../output.js');
      const result = await withTable(redactor, options.project, name, (loaded, { project, catalog }) =>
        upgradeTable({ catalog, registry: project.registry }, loaded, formatVersion),
      );
      printResult(redactor, result, options, () =>
        result.upgraded
          ? `${result.table}: format version ${result.from} -> ${result.to}`
          : `${result.table} is already format version ${result.to}`,
      );
    });
  table
    .command('history')
    .description('When each snapshot of a table became current, and whether it is an ancestor of the current one')
    .argument('<table>', 'namespace.table')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the history as JSON')
    .action(async (name: string, options: { project: string; json?: boolean }) => {
      const { tableHistory } = await import('../inspect-table.js');
      const { printResult } = await import('../output.js');
      const history = await withTable(redactor, options.project, name, async (loaded) => tableHistory(loaded));
      printResult(redactor, history, options, () =>
        history.length === 0
          ? `${name} has no snapshots yet`
          : history
              .map(
                (entry) =>
                  `${entry.madeCurrentAt}  ${entry.snapshotId.padEnd(20)}  ${(entry.operation ?? '?').padEnd(9)}  parent ${entry.parentId ?? '-'}${entry.isCurrentAncestor ? '' : '  (not an ancestor of the current snapshot)'}`,
              )
              .join('\n'),
      );
    });
}

interface LoadOptions {
  create?: boolean;
  partition: string[];
  map: string[];
  project: string;
  json?: boolean;
}

/** `floe table load <file> <table>`: a Parquet or CSV file appended to a table, once. */
function loadCommand(table: Command, redactor: Redactor): void {
  table
    .command('load')
    .description(
      'Append a Parquet or CSV file to a table, once: columns matched by name, nanosecond timestamps written as microseconds (each such column named)',
    )
    .argument('<file>', 'a .parquet or .csv file')
    .argument('<table>', 'namespace.table')
    .option(
      '--create',
      "create the table from the file's columns when it does not exist (a table that exists must be the one it would create)",
    )
    .option(
      '--partition <field>',
      'with --create: partition by day(col), hour(col), month(col), year(col), bucket(N, col), truncate(W, col) or identity(col); repeat for more fields',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option(
      '--map <column>',
      "with --create: make a struct column whose fields share a type T a map<string,T> column, the fields' names its keys (pandas writes a dict column, such as Feast's Map, as a struct); repeat for more columns",
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, name: string, options: LoadOptions) => {
      for (const [flag, given] of [
        ['--partition', options.partition],
        ['--map', options.map],
      ] as const)
        if (given.length > 0 && !options.create)
          throw new FloeError(
            'invalid-input',
            `${flag} is for a table --create makes; an existing table keeps its own ${flag === '--map' ? 'column types (a struct goes into its map<string,T> columns as it is)' : 'partitioning'}`,
            { context: { field: flag } },
          );
      const { parsePartitionTerm } = await import('../../iceberg/spec/partition-terms.js');
      const partition = options.partition.map(parsePartitionTerm);
      const { parseTableIdentifier } = await import('../../iceberg/catalog/identifier.js');
      const identifier = parseTableIdentifier(name);
      const { loadProject } = await import('../../features/project.js');
      const { printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { openRuntime } = await import('../../features/runtime.js');
      const { loadFileIntoTable } = await import('../../features/table-load/load-file.js');
      const runtime = await openRuntime(project);
      try {
        const result = await loadFileIntoTable(runtime, {
          file,
          table: identifier,
          ...(options.create ? { create: { partition, maps: options.map } } : {}),
        });
        printResult(redactor, result, options, () => describeLoad(result));
      } finally {
        await runtime.close();
      }
    });
}

/**
 * Loads the project's table `name` (or the table `name` picks from the project), runs `fn` on it and
 * closes the catalog; the project's secrets go to `redactor`, the process's.
 */
export async function withTable<T>(
  redactor: Redactor,
  projectDirectory: string,
  name: string | ((project: Project) => string),
  fn: (table: LoadedTable, opened: { project: Project; catalog: Catalog }) => Promise<T>,
): Promise<T> {
  const { loadProject } = await import('../../features/project.js');
  const { parseTableIdentifier } = await import('../../iceberg/catalog/identifier.js');
  const project = await loadProject(projectDirectory, process.env, { redactor });
  const tableName = typeof name === 'string' ? name : name(project);
  const identifier = parseTableIdentifier(tableName);
  const { openProjectCatalog } = await import('../../features/project-catalog.js');
  const catalog = await openProjectCatalog(project);
  try {
    let loaded: LoadedTable;
    try {
      loaded = await catalog.loadTable(identifier);
    } catch (error) {
      if (FloeError.is(error, 'not-found') && (await catalog.tableExists(identifier).catch(() => false))) {
        // The catalog has the table, but its current metadata file is gone (named without its path).
        throw new FloeError(
          'corrupt',
          `Table ${tableName} is in catalog ${catalog.name}, but its current metadata file is missing, so it cannot be read; restore that file or drop the table`,
          { context: { table: tableName } },
        );
      }
      if (FloeError.is(error, 'not-found')) {
        const tables = await catalog.listTables(identifier.namespace).catch(() => []);
        const known = tables.map((table) => [...table.namespace, table.name].join('.')).join(', ') || 'none';
        throw new FloeError(
          'not-found',
          `No table ${tableName} in catalog ${catalog.name}; tables in ${identifier.namespace.join('.')}: ${known}`,
          { context: { table: tableName }, cause: error },
        );
      }
      throw error;
    }
    return await fn(loaded, { project, catalog });
  } finally {
    await catalog.close();
  }
}

function formatVersionArgument(text: string): 2 | 3 {
  if (text === '2' || text === '3') return Number(text) as 2 | 3;
  throw new FloeError('invalid-input', `--format-version must be 2 or 3, got ${JSON.stringify(text)}`, {
    context: { field: '--format-version' },
  });
}

function snapshotArgument(text: string): bigint {
  if (!/^-?\d+$/.test(text))
    throw new FloeError('invalid-input', `--snapshot must be a snapshot id (an integer), got ${JSON.stringify(text)}`, {
      context: { field: '--snapshot' },
    });
  return BigInt(text);
}

function describeLoad(result: TableLoadResult): string {
  const notes = result.truncatedToMicroseconds.map(
    (column) => `  ${column.column}: nanosecond timestamps (${column.from}) truncated to microseconds (${column.to})`,
  );
  const created = result.created ? [`Created ${result.table}`] : [];
  if (result.alreadyLoaded)
    return [
      ...notes,
      `${result.file} is already loaded into ${result.table}: snapshot ${result.snapshotId} holds its ${result.rows} row(s); nothing was written`,
    ].join('\n');
  if (result.snapshotId === null)
    return [...created, ...notes, `${result.file} has no rows: nothing was appended to ${result.table}`].join('\n');
  return [
    ...created,
    ...notes,
    `Appended ${result.rows} row(s) of ${result.file} to ${result.table} in ${result.dataFiles} data file(s): snapshot ${result.snapshotId}`,
  ].join('\n');
}

function describeInspection(inspection: TableInspection): string {
  const lines = [
    `${inspection.table}  (format v${inspection.formatVersion}, ${inspection.location})`,
    `  schema: ${inspection.schema.map((field) => `${field.name} ${field.type}${field.required ? ' not null' : ''}`).join(', ')}`,
    `  partitioned by: ${inspection.partitionSpec.map((field) => `${field.transform}(${field.source})`).join(', ') || 'nothing'}`,
    `  current snapshot: ${inspection.currentSnapshotId ?? '(none)'}; ${inspection.snapshots.length} snapshot(s)`,
    `  files of snapshot ${inspection.snapshotId ?? '(none)'}: ${inspection.totals.dataFiles} data, ${inspection.totals.deleteFiles} delete, ${inspection.totals.records} rows, ${formatByteSize(inspection.totals.bytes)} in ${inspection.manifests} manifest(s)`,
    '',
    'Partitions:',
    ...inspection.partitions.map(
      (partition) =>
        `  ${JSON.stringify(partition.partition)}  ${partition.dataFiles} file(s), ${partition.records} rows, ${formatByteSize(partition.bytes)}` +
        (partition.positionDeleteFiles + partition.equalityDeleteFiles > 0
          ? `, ${partition.positionDeleteFiles} position / ${partition.equalityDeleteFiles} equality delete file(s)`
          : ''),
    ),
    '',
    'Snapshots:',
    ...inspection.snapshots.map(
      (snapshot) =>
        `  ${snapshot.committedAt}  ${snapshot.snapshotId}  ${snapshot.operation}  +${snapshot.summary['added-data-files'] ?? 0} files, +${snapshot.summary['added-records'] ?? 0} rows`,
    ),
  ];
  return lines.join('\n');
}
