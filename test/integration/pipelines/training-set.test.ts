// services: temporal, minio, python
// The trainingSet workflow on the Temporal dev server: its output table, read by pyiceberg, holds
// exactly the rows getHistoricalFeatures(...).toArrow() gives for the same input (entity columns,
// duplicates and all), with the source read once by the exchange step; an exchange step or a chunk
// that fails after writing its files is retried without leaving a second copy; a rerun under the
// same workflow id writes nothing; bad input fails at once; cancelling removes what was staged.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import * as arrow from 'apache-arrow';
import { quoteLiteral } from '../../../engine/sql.js';
import { parseTableIdentifier } from '../../../iceberg/catalog/identifier.js';
import { getHistoricalFeatures } from '../../../features/historical/get-historical-features.js';
import type { EntitySource } from '../../../features/historical/entity-rows.js';
import type { trainingSet } from '../../../workflows/training-set.js';
import type { TrainingSetInput, TrainingSetProgress, TrainingSetResult } from '../../../contracts/training-set.js';
import { S3FileIO } from '../../../iceberg/io/s3-file-io.js';
import { runPyiceberg } from '../../support/pyiceberg.js';
import { s3Service } from '../../support/services.js';
import type { PipelineWorker, SourceTable } from '../../support/pipelines/pipeline.js';
import { createDriverStatsCatalog, onlineSnapshots, recordRun, startPipelineWorker, VIEW } from '../../support/pipelines/pipeline.js';
import { scratchFolder } from '../../support/scratch-folder.js';
import { driverStatsRows } from '../../support/driver-stats.js';
import { defined } from '../../../contracts/defined.js';
import { microsToIso } from '../../support/iso-micros.js';

const scratch = scratchFolder('training-set');
let source: SourceTable;
let worker: PipelineWorker;
let parquetFiles: string[];
const ENTITY_TABLE = 'requests.driver_requests';

/** Entity rows: [request id, driver, ISO time, label]; duplicates, unknown drivers and times before any feature row included. */
function entityRows(): [string, number, string, number][] {
  const rows: [string, number, string, number][] = [];
  const start = Date.parse('2024-04-30T22:00:00Z');
  for (let index = 0; index < 230; index++) {
    const driver = 1001 + ((index * 7) % 43); // 1041..1043 are drivers nobody has heard of
    const time = new Date(start + ((index * 4_111_000) % (62 * 3_600_000))).toISOString();
    rows.push([`r${index}`, driver, time, index % 2]);
    if (index % 37 === 0) rows.push([`r${index}`, driver, time, index % 2]); // an exact duplicate, kept
  }
  return rows;
}

const ENTITY_SELECT = (rows: [string, number, string, number][]) =>
  `SELECT request_id, driver_id::BIGINT AS driver_id, event_timestamp::TIMESTAMPTZ AS event_timestamp, label::INTEGER AS label FROM (VALUES ${rows
    .map(([request, driver, time, label]) => `(${quoteLiteral(request)}, ${driver}, ${quoteLiteral(time)}, ${label})`)
    .join(', ')}) AS t(request_id, driver_id, event_timestamp, label)`;

before(async () => {
  // Appended in time order, each of the source's two files holds every driver: no chunk could skip
  // one, so a training set of several chunks reads the source through the exchange step.
  const byTime = driverStatsRows().sort((a, b) => a.event_timestamp.localeCompare(b.event_timestamp));
  source = await createDriverStatsCatalog(path.join(scratch, 'source'), byTime);
  const s3 = s3Service();
  worker = await startPipelineWorker(source, {
    ioProperties: {
      's3.endpoint': s3.endpoint,
      's3.region': s3.region,
      's3.access-key-id': s3.accessKeyId,
      's3.secret-access-key': s3.secretAccessKey,
      's3.path-style-access': 'true',
    },
    trainingSetHooks: {
      // Chunk 1 of a run whose output is named `*_flaky` fails once, after its files are uploaded.
      afterChunkFiles: async ({ chunk, attempt, signal }) => {
        if (currentOutput.endsWith('_flaky') && chunk === 1 && attempt === 1)
          throw new Error('injected: the worker lost its connection after uploading the chunk');
        if (currentOutput.endsWith('_held') && chunk === 0) {
          held = true;
          await new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
        }
      },
      // So does the exchange step of its view, after uploading that view's files.
      afterExchangeFiles: async ({ attempt }) => {
        if (currentOutput.endsWith('_flaky') && attempt === 1)
          throw new Error('injected: the worker lost its connection after the exchange');
      },
    },
  });
  const rows = entityRows();
  const half = 130;
  parquetFiles = [path.join(scratch, 'entities-a.parquet'), path.join(scratch, 'entities-b.parquet')];
  await worker.runtime.engine.withConnection(async (connection) => {
    await connection.run(`COPY (${ENTITY_SELECT(rows.slice(0, half))}) TO ${quoteLiteral(parquetFiles[0]!)} (FORMAT parquet)`);
    await connection.run(`COPY (${ENTITY_SELECT(rows.slice(half))}) TO ${quoteLiteral(parquetFiles[1]!)} (FORMAT parquet)`);
  });
  await runPyiceberg('create_table', {
    catalog: source.oracle,
    identifier: ENTITY_TABLE,
    schema: {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'request_id', type: 'string', required: false },
        { id: 2, name: 'driver_id', type: 'long', required: false },
        { id: 3, name: 'event_timestamp', type: 'timestamptz', required: false },
        { id: 4, name: 'label', type: 'int', required: false },
      ],
    },
    format_version: 2,
  });
  const columns = { request_id: 'string', driver_id: 'long', event_timestamp: 'timestamptz', label: 'int' };
  for (const part of [rows.slice(0, half), rows.slice(half)]) {
    await runPyiceberg('append', {
      catalog: source.oracle,
      identifier: ENTITY_TABLE,
      columns,
      rows: part.map(([request_id, driver_id, event_timestamp, label]) => ({ request_id, driver_id, event_timestamp, label })),
    });
  }
});
after(async () => {
  await worker?.close();
});

let currentOutput = '';
let held = false;

async function run(
  input: TrainingSetInput,
  workflowId = `training-set-${randomUUID()}`,
): Promise<{ result: TrainingSetResult; workflowId: string }> {
  currentOutput = input.output.table;
  const handle = await worker.client.workflow.start<typeof trainingSet>('trainingSet', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [input],
  });
  return { result: await handle.result(), workflowId };
}

/** What toArrow() gives for the same input, in pyiceberg's JSON form (longs as strings, µs ISO times), sorted. */
async function expected(
  entities: EntitySource,
  options: { features: string[]; fullFeatureNames?: boolean },
): Promise<Record<string, unknown>[]> {
  const { runtime } = worker;
  const job = getHistoricalFeatures(
    {
      registry: runtime.project.registry,
      catalog: runtime.catalog,
      engine: runtime.engine,
      workDirectory: runtime.project.config.workDirectory,
    },
    {
      entities,
      features: options.features,
      ...defined({ fullFeatureNames: options.fullFeatureNames }),
    },
  );
  return sorted(arrowRows(await job.toArrow()));
}

async function outputRows(table: string): Promise<Record<string, unknown>[]> {
  const read = await runPyiceberg<{ rows: Record<string, unknown>[] }>('read', { catalog: source.oracle, identifier: table });
  return sorted(read.rows);
}

async function outputFiles(table: string): Promise<string[]> {
  const files = await runPyiceberg<{ rows: { file_path: string }[] }>('inspect', {
    catalog: source.oracle,
    identifier: table,
    what: 'files',
  });
  return files.rows.map((row) => row.file_path).sort();
}

async function tableLocation(table: string): Promise<string> {
  return (await worker.runtime.catalog.loadTable(parseTableIdentifier(table))).metadata.location.replace(/^file:\/\//, '');
}

/** Every file under a table's training-set staging folders, on disk. */
async function stagedFiles(location: string): Promise<string[]> {
  const root = path.join(location, 'data', 'training-set');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

describe('trainingSet workflow', () => {
  test('Parquet entity rows in chunks across files: the output equals toArrow() row for row; a rerun writes nothing', async () => {
    const output = 'datasets.from_parquet';
    const input: TrainingSetInput = {
      entities: { parquet: parquetFiles },
      features: [`${VIEW}:conv_rate`, `${VIEW}:avg_daily_trips`],
      output: { table: output },
      chunkRows: 50,
      parallelism: 2,
    };
    const { result, workflowId } = await run(input);
    const want = await expected({ parquet: parquetFiles }, { features: input.features as string[] });
    assert.equal(want.length, entityRows().length);
    assert.equal(result.rows, want.length);
    // At most 50 rows a chunk, cut by buckets of the key (so maybe more chunks), fed by the exchange step.
    assert.ok(result.chunks >= Math.ceil(want.length / 50), `${result.chunks} chunks`);
    assert.ok(result.sourceRead !== undefined && result.sourceOnePass !== undefined, 'the result says what the chunks read');
    assert.ok(result.exchanged !== undefined && result.exchanged.rows > 0, 'the exchange step ran');
    assert.equal(result.sourceRead.rows, result.sourceOnePass.rows, 'the source was read once, by the exchange step');
    assert.equal(result.alreadyCommitted, false);
    const got = await outputRows(output);
    assert.deepEqual(got, want);
    assert.ok(
      got.some((row) => row.conv_rate === null) && got.some((row) => row.conv_rate !== null),
      'some entity rows join a feature row and some do not',
    );
    assert.deepEqual(Object.keys(got[0]!).sort(), ['avg_daily_trips', 'conv_rate', 'driver_id', 'event_timestamp', 'label', 'request_id']);

    const snapshots = await onlineSnapshots(source, 'datasets', 'from_parquet');
    assert.equal(snapshots.length, 1, 'every chunk landed in one commit');
    assert.equal(snapshots[0]!.snapshotId, result.snapshotId);
    assert.equal(snapshots[0]!.summary['floe.idempotency-key'], workflowId);
    const files = await outputFiles(output);
    assert.deepEqual(
      files.map((file) => file.replace(/^file:\/\//, '')),
      await stagedFiles(await tableLocation(output)),
      'the staging folders hold exactly the committed files (the exchanged rows are gone)',
    );
    await recordRun(worker.client, workflowId, undefined, 'training-set-exchange');

    // The same workflow id again: the committed snapshot comes back and nothing is written.
    const rerun = await run(input, workflowId);
    assert.equal(rerun.result.alreadyCommitted, true);
    assert.equal(rerun.result.snapshotId, result.snapshotId);
    assert.equal(rerun.result.rows, result.rows);
    assert.equal((await onlineSnapshots(source, 'datasets', 'from_parquet')).length, 1);
    assert.deepEqual(await outputFiles(output), files);
  });

  test('entity Parquet files in S3 (MinIO): the same rows as from local copies', async () => {
    const s3 = s3Service();
    const io = new S3FileIO({
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      pathStyle: true,
    });
    const prefix = `s3://${s3.bucket}/training-set-${randomUUID()}`;
    const remote = parquetFiles.map((file) => `${prefix}/${path.basename(file)}`);
    for (const [index, file] of parquetFiles.entries()) await io.upload(file, remote[index]!);
    const output = 'datasets.from_s3';
    const { result } = await run({
      entities: { parquet: remote },
      features: [`${VIEW}:acc_rate`],
      output: { table: output },
      chunkRows: 100,
    });
    const want = await expected({ parquet: parquetFiles }, { features: [`${VIEW}:acc_rate`] });
    assert.equal(result.rows, want.length);
    assert.ok(result.chunks >= Math.ceil(want.length / 100), `${result.chunks} chunks`);
    assert.deepEqual(await outputRows(output), want);
  });

  test('entity rows from the source itself in [start, end), a chunk per source file: the output equals toArrow() and holds every source row in range', async () => {
    const output = 'datasets.from_source';
    const window = { start: '2024-05-01T06:00:00Z', end: '2024-05-02T06:00:00Z' };
    const entities = { from: 'driver_stats', ...window };
    const input: TrainingSetInput = {
      entities,
      features: [`${VIEW}:conv_rate`, `${VIEW}:avg_daily_trips`],
      output: { table: output },
      chunkRows: 1,
    };
    const { result, workflowId } = await run(input);
    const want = await expected(entities, { features: input.features as string[] });
    const inRange = source.rows.filter(
      (row) => Date.parse(window.start) <= Date.parse(row.event_timestamp) && Date.parse(row.event_timestamp) < Date.parse(window.end),
    );
    // Every source row in range is an entity row, with its own event time; duplicates stay.
    assert.equal(want.length, inRange.length);
    assert.ok(
      new Set(inRange.map((row) => `${row.driver_id}@${row.event_timestamp}`)).size < inRange.length,
      'the range holds duplicate rows',
    );
    assert.deepEqual(
      want.map((row) => `${String(row.driver_id)}@${new Date(String(row.event_timestamp)).toISOString()}`).sort(),
      inRange.map((row) => `${row.driver_id}@${new Date(row.event_timestamp).toISOString()}`).sort(),
    );
    assert.equal(result.rows, want.length);
    assert.equal(result.chunks, 2, 'one chunk per data file of the source (it has two)');
    assert.deepEqual(await outputRows(output), want);
    assert.deepEqual(Object.keys(want[0]!).sort(), ['avg_daily_trips', 'conv_rate', 'driver_id', 'event_timestamp']);
    assert.equal((await onlineSnapshots(source, 'datasets', 'from_source')).length, 1, 'every chunk landed in one commit');
    await recordRun(worker.client, workflowId, undefined, 'training-set-from-source');
  });

  test('an Iceberg entity table, with an exchange step and a chunk that each fail once after writing their files: each row lands exactly once', async () => {
    const output = 'datasets.from_table_flaky';
    const input: TrainingSetInput = {
      entities: { table: ENTITY_TABLE },
      features: [VIEW],
      fullFeatureNames: true,
      output: { table: output },
      chunkRows: 40,
      parallelism: 2,
    };
    const { result, workflowId } = await run(input);
    const want = await expected({ table: ENTITY_TABLE }, { features: [VIEW], fullFeatureNames: true });
    assert.equal(result.rows, want.length);
    assert.deepEqual(await outputRows(output), want);
    assert.ok(Object.keys(want[0]!).includes(`${VIEW}__acc_rate`));

    const history = await worker.client.workflow.getHandle(workflowId).fetchHistory();
    // History keeps each activity's last attempt, with the failure before it. On a loaded machine a
    // retried step can also miss its heartbeat (CI once finished the chunk on attempt 3, 30 s late):
    // an attempt past the second counts only after such a timeout, never after an error of Floe's.
    const activityOf = new Map<string, string>();
    const lastAttempts: { activity: string; attempt: number; after: string; afterTimeout: boolean }[] = [];
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) activityOf.set(String(event.eventId), scheduled.activityType?.name ?? '');
      const started = event.activityTaskStartedEventAttributes;
      if (started) {
        lastAttempts.push({
          activity: activityOf.get(String(started.scheduledEventId)) ?? '',
          attempt: started.attempt ?? 1,
          after: started.lastFailure?.message ?? '',
          afterTimeout: Boolean(started.lastFailure?.timeoutFailureInfo),
        });
      }
    }
    const seen = lastAttempts.map(({ activity, attempt, after }) => `${activity}#${attempt}${after ? ` after ${after}` : ''}`);
    const wasRetried = (activity: string) =>
      lastAttempts.some(
        (last) =>
          last.activity === activity && (last.attempt === 2 ? last.after.startsWith('injected:') : last.attempt > 2 && last.afterTimeout),
      );
    assert.ok(wasRetried('exchangeTrainingSetView'), `the failed exchange step was retried (attempts seen: ${seen.join(', ')})`);
    assert.ok(wasRetried('writeTrainingSetChunk'), `the failed chunk was retried (attempts seen: ${seen.join(', ')})`);
    const files = await outputFiles(output);
    assert.deepEqual(
      files.map((file) => file.replace(/^file:\/\//, '')),
      await stagedFiles(await tableLocation(output)),
      'the failed attempt left no second copy behind',
    );
    assert.ok(!files.some((file) => file.includes('/chunk-00001/a1-')), 'chunk 1 committed its second attempt’s files');
    await recordRun(worker.client, workflowId, undefined, 'training-set-retried-chunk');
  });

  test('bad input fails at once, naming what is wrong, and creates nothing', async () => {
    const attempt = async (input: TrainingSetInput): Promise<WorkflowFailedError> => {
      const workflowId = `training-set-bad-${randomUUID()}`;
      const failure = await run(input, workflowId).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(failure instanceof WorkflowFailedError, `the workflow failed (got ${String(failure)})`);
      const history = await worker.client.workflow.getHandle(workflowId).fetchHistory();
      const attempts = (history.events ?? []).flatMap((event) =>
        event.activityTaskStartedEventAttributes ? [event.activityTaskStartedEventAttributes.attempt ?? 1] : [],
      );
      assert.ok(
        attempts.every((value) => value === 1),
        `no step was retried (attempts: ${attempts.join(', ')})`,
      );
      return failure;
    };
    const messages = (error: unknown): string =>
      error instanceof Error ? `${error.message} | ${messages((error as { cause?: unknown }).cause)}` : '';

    const unknownFeature = await attempt({
      entities: { parquet: parquetFiles },
      features: [`${VIEW}:no_such_feature`],
      output: { table: 'datasets.bad_feature' },
    });
    assert.match(messages(unknownFeature), /no_such_feature/);
    const missingTable = await attempt({
      entities: { table: 'requests.no_such_table' },
      features: [VIEW],
      output: { table: 'datasets.bad_entities' },
    });
    assert.match(messages(missingTable), /requests\.no_such_table does not exist/);
    const badShape = await attempt({ entities: { parquet: [] }, features: [VIEW], output: { table: 'datasets.bad_shape' } });
    assert.match(messages(badShape), /trainingSet input entities/);

    const tables = await runPyiceberg<{ rows: unknown[] }>('inspect', {
      catalog: source.oracle,
      identifier: 'datasets.from_parquet',
      what: 'snapshots',
    });
    assert.equal(tables.rows.length, 1);
    for (const table of ['datasets.bad_feature', 'datasets.bad_entities']) {
      await assert.rejects(
        runPyiceberg('read', { catalog: source.oracle, identifier: table }),
        /NoSuchTable|does not exist/i,
        `${table} was not created`,
      );
    }
  });

  test('cancelling removes the staged files (the exchanged ones too) and the table it created', async () => {
    const output = 'datasets.cancelled_held';
    currentOutput = output;
    held = false;
    const input: TrainingSetInput = {
      entities: { parquet: parquetFiles },
      features: [VIEW],
      output: { table: output },
      chunkRows: 100,
      parallelism: 2,
    };
    const handle = await worker.client.workflow.start<typeof trainingSet>('trainingSet', {
      taskQueue: worker.taskQueue,
      workflowId: `training-set-${randomUUID()}`,
      args: [input],
    });
    while (!held) await new Promise((resolve) => setTimeout(resolve, 200));
    const progress: TrainingSetProgress = await handle.query<TrainingSetProgress>('progress');
    assert.equal(progress.state, 'running');
    assert.ok(progress.chunksTotal >= 3, `${progress.chunksTotal} chunks`);
    assert.ok(progress.current.includes(0));
    assert.ok(progress.sourceOnePass !== undefined && progress.sourceOnePass.dataFiles > 0, 'the plan measured one pass over the source');
    const location = await tableLocation(output);
    const staged = await stagedFiles(location);
    assert.ok(
      staged.some((file) => file.includes('/chunk-00000/')),
      'chunk 0 staged its files before it was held',
    );
    assert.ok(
      staged.some((file) => file.includes('/exchange/')),
      'the exchange step staged its files',
    );
    await handle.cancel();
    await assert.rejects(handle.result(), (error: unknown) => error instanceof WorkflowFailedError);
    assert.deepEqual(await stagedFiles(location), []);
    await assert.rejects(runPyiceberg('read', { catalog: source.oracle, identifier: output }), /NoSuchTable|does not exist/i);
  });
});

function sorted(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const key = (row: Record<string, unknown>) =>
    JSON.stringify(
      Object.keys(row)
        .sort()
        .map((name) => row[name]),
    );
  return [...rows].sort((a, b) => key(a).localeCompare(key(b)));
}

/** An Arrow table's rows as pyiceberg's oracle prints them. */
function arrowRows(table: arrow.Table): Record<string, unknown>[] {
  const columns = table.schema.fields.map((field) => {
    const vector = table.getChild(field.name)!;
    const values: unknown[] = [];
    const type = field.type as arrow.DataType;
    let offset = 0;
    for (const data of vector.data) {
      for (let row = 0; row < data.length; row++) {
        const valid =
          data.nullBitmap === undefined ||
          data.nullBitmap.length === 0 ||
          ((data.nullBitmap[(data.offset + row) >> 3]! >> ((data.offset + row) & 7)) & 1) === 1;
        if (!valid) values.push(null);
        else if (arrow.DataType.isTimestamp(type)) values.push(microsToIso((data.values as unknown as BigInt64Array)[row]!));
        else if (arrow.DataType.isInt(type) && type.bitWidth === 64) values.push(String((data.values as unknown as BigInt64Array)[row]));
        else values.push(vector.get(offset + row));
      }
      offset += data.length;
    }
    return values;
  });
  return Array.from({ length: table.numRows }, (_, row) =>
    Object.fromEntries(table.schema.fields.map((field, index) => [field.name, columns[index]![row]])),
  );
}
