import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { FloeError } from '../../core/errors.js';
import type { TrainingSetInput, TrainingSetProgress, TrainingSetResult } from '../../contracts/training-set.js';
import type { trainingSet } from '../../workflows/training-set.js';
import type { ProgressView } from '../follow.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

interface TrainingSetOptions {
  entitiesTable?: string;
  entitiesParquet?: string[];
  entitiesCsv?: string;
  entitiesFrom?: string;
  start?: string;
  end?: string;
  features?: string[];
  featureService?: string;
  output: string;
  fullFeatureNames?: boolean;
  replace?: boolean;
  timestampColumn?: string;
  chunkRows: string;
  parallelism: string;
  project: string;
  workflowId?: string;
  wait: boolean;
  json?: boolean;
}

export function trainingSetCommand(program: Command, redactor: Redactor): void {
  program
    .command('training-set')
    .description(
      'Build a training set (point-in-time correct features for entity rows) as a durable Temporal workflow, saved as an Iceberg table',
    )
    .option('--entities-table <table>', 'entity rows from this Iceberg table (namespace.table)')
    .option('--entities-parquet <files...>', 'entity rows from these Parquet files, in order')
    .option('--entities-csv <file>', 'entity rows from this CSV file (a header line; times without a zone are UTC)')
    .option(
      '--entities-from <source>',
      "entity rows from a source's own rows (or a feature view's source's) with --start ≤ event time < --end, each with its event time",
    )
    .option('--start <instant>', 'with --entities-from: the first event time taken (ISO-8601)')
    .option('--end <instant>', 'with --entities-from: the event time where taking stops, excluded (ISO-8601)')
    .option('--features <refs...>', 'features as view:feature, or a whole view')
    .option('--feature-service <name>', 'the features of this feature service')
    .requiredOption('--output <table>', 'the Iceberg table to save the training set as (namespace.table)')
    .option('--full-feature-names', 'name feature columns view__feature')
    .option('--replace', 'replace the --output table when it holds a training set of another request (otherwise refused)')
    .option('--timestamp-column <name>', "the entity rows' timestamp column (default event_timestamp)")
    .option('--chunk-rows <n>', 'entity rows per chunk', '100000')
    .option('--parallelism <n>', 'chunks joined at once', '2')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option(
      '--workflow-id <id>',
      'run under this workflow id (default: training-set-<output>, so running the same command again returns its commit)',
    )
    .option('--no-wait', 'start the workflow and return its id')
    .option('--json', 'print the result as JSON (and no progress bar)')
    .action(async (options: TrainingSetOptions) => {
      const { loadProject } = await import('../../features/project.js');
      const { parseTableIdentifier } = await import('../../iceberg/catalog/identifier.js');
      const { trainingSetWorkflowId } = await import('../../contracts/ids.js');
      const { EXIT_INTERRUPTED, followWorkflow, workflowWhereabouts } = await import('../follow.js');
      const { printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { connectClient, startOrFollow } = await import('../temporal-client.js');
      const input = await trainingSetInput(options, async (csvFile) => {
        const { entitiesCsvAsParquet, textKeyColumns } = await import('../entities-csv.js');
        const { Engine } = await import('../../engine/duckdb.js');
        const { DEFAULT_ENTITY_TIMESTAMP } = await import('../../features/historical/get-historical-features.js');
        const engine = await Engine.create({ threads: 1 });
        try {
          const timestampColumn = options.timestampColumn ?? DEFAULT_ENTITY_TIMESTAMP;
          return await entitiesCsvAsParquet(engine, csvFile, {
            timestampColumn,
            keyColumns: textKeyColumns(project.registry),
            stateDirectory: path.join(project.directory, '.floe'),
          });
        } finally {
          engine.close();
        }
      });
      // Table names are checked here, not by the worker: a bad one is refused before a workflow starts.
      parseTableIdentifier(options.output);
      if ('table' in input.entities) parseTableIdentifier(input.entities.table);
      if ('parquet' in input.entities) await requireLocalFiles(input.entities.parquet);
      if ('from' in input.entities) {
        const { resolveEntitySource } = await import('../../features/historical/source-entity-rows.js');
        resolveEntitySource(project.registry, input.entities.from);
      }
      // The library's own resolution: on-demand views and feature services refused or taken as getHistoricalFeatures does.
      const { resolveHistoricalFeatures } = await import('../../features/selection.js');
      resolveHistoricalFeatures(project.registry, input);
      const workflowId = options.workflowId ?? trainingSetWorkflowId(options.output);
      const client = await connectClient(project.config);
      try {
        const { handle } = await startOrFollow<typeof trainingSet>(client, 'trainingSet', {
          taskQueue: project.config.temporal.taskQueue,
          workflowId,
          args: [input],
        });
        if (!options.wait) {
          printResult(redactor, { workflowId }, options, () => `Started training set ${workflowId}`);
          return;
        }
        const followed = await followWorkflow<TrainingSetResult, TrainingSetProgress>(handle, {
          what: 'training set',
          showProgress: !options.json,
          barFormat: 'training set |{bar}| {count} | {rows} rows | {state}',
          initialFields: { rows: 0, state: 'starting' },
          view: progressView,
          where: await workflowWhereabouts(project),
        });
        if (followed.detached) {
          process.exitCode = EXIT_INTERRUPTED;
          return;
        }
        const result = followed.result;
        printResult(redactor, { workflowId, ...result }, options, () =>
          result.alreadyCommitted
            ? `Training set ${result.table} was already committed by workflow ${workflowId} (snapshot ${result.snapshotId}, ${result.rows} rows); nothing written`
            : `Saved training set ${result.table}: ${result.rows} row(s) in ${result.dataFiles} file(s) from ${result.chunks} chunk(s), snapshot ${result.snapshotId} (workflow ${workflowId})`,
        );
      } finally {
        await client.connection.close();
      }
    });
}

/** A missing local entity file is refused before a workflow starts (object-store files are the worker's to read). */
async function requireLocalFiles(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (isUrl(file)) continue;
    try {
      await access(file, constants.R_OK);
    } catch {
      throw new FloeError('not-found', `The entity Parquet file ${file} does not exist or cannot be read`, {
        context: { file, field: '--entities-parquet' },
      });
    }
  }
}

function isUrl(file: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(file);
}

/** `csvAsParquet`: the Parquet file holding an --entities-csv file's rows (made only when it is the one entity option). */
async function trainingSetInput(options: TrainingSetOptions, csvAsParquet: (file: string) => Promise<string>): Promise<TrainingSetInput> {
  const { checkWindowOrder, instant, positiveInteger } = await import('../arguments.js');
  const bad = (field: string, message: string) => new FloeError('invalid-input', message, { context: { field } });
  const given = [options.entitiesTable, options.entitiesParquet, options.entitiesCsv, options.entitiesFrom].filter(
    (option) => option !== undefined,
  );
  if (given.length !== 1)
    throw bad(
      '--entities-table',
      'Give the entity rows with --entities-table <namespace.table>, --entities-parquet <files...> or --entities-csv <file>, or --entities-from <source> --start … --end … (one of them)',
    );
  let fromSource: { from: string; start: string; end: string } | undefined;
  if (options.entitiesFrom !== undefined) {
    if (options.start === undefined || options.end === undefined)
      throw bad(
        options.start === undefined ? '--start' : '--end',
        `--entities-from ${options.entitiesFrom} takes the rows with --start ≤ event time < --end: give both (e.g. --start 2024-05-01T00:00:00Z --end 2024-05-02T00:00:00Z)`,
      );
    fromSource = { from: options.entitiesFrom, start: instant(options.start, '--start'), end: instant(options.end, '--end') };
    checkWindowOrder(fromSource.start, fromSource.end);
  } else if (options.start !== undefined || options.end !== undefined) {
    throw bad(options.start === undefined ? '--end' : '--start', '--start and --end go with --entities-from <source>');
  }
  if ((options.features === undefined) === (options.featureService === undefined))
    throw bad('--features', 'Give --features <view:feature...> or --feature-service <name> (one of them)');
  const fromCsv = options.entitiesCsv === undefined ? undefined : await csvAsParquet(options.entitiesCsv);
  return {
    // Parquet paths are resolved here: the worker may run in another folder.
    entities:
      fromSource !== undefined
        ? fromSource
        : options.entitiesTable !== undefined
          ? { table: options.entitiesTable }
          : fromCsv !== undefined
            ? { parquet: [fromCsv] }
            : { parquet: (options.entitiesParquet ?? []).map((file) => (isUrl(file) ? file : path.resolve(file))) },
    ...defined({ features: options.features, featureService: options.featureService }),
    ...(options.fullFeatureNames ? { fullFeatureNames: true } : {}),
    ...defined({ timestampColumn: options.timestampColumn }),
    output: { table: options.output },
    ...(options.replace ? { replace: true } : {}),
    chunkRows: positiveInteger(options.chunkRows, '--chunk-rows'),
    parallelism: positiveInteger(options.parallelism, '--parallelism'),
  };
}

/** While the workflow plans, its chunksTotal is a 0 that means "not counted yet". */
export function progressView(progress: TrainingSetProgress): ProgressView {
  return {
    total: progress.state === 'planning' ? undefined : progress.chunksTotal,
    done: progress.chunksDone,
    fields: { rows: progress.rows, state: progress.state },
    line: `${progress.rows} rows, ${progress.state}`,
  };
}
