import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Consumer, Message, MessagesStream } from '@platformatic/kafka';
import { isoMillis } from '../../contracts/instants.js';
import type { FeatureContext } from '../context.js';
import { withScratchDirectory } from '../context.js';
import { stageBatch, stageRows } from '../push/push-commit.js';
import { lateEvents } from '../push/push-targets.js';
import type { StagedBatch, TableTarget } from '../push/push-commit.js';
import type { StreamSourceDefinition } from '../stream-source.js';
import { batchTables, type BatchTables } from './batch-tables.js';
import { groupIdOf, groupSpanningTopics } from './consumer-group.js';
import { deadLetterRequests } from './dead-letters.js';
import { batchFailure, commitStreamBatch } from './stream-commit.js';
import type { MessagePosition, StreamTableCommit } from './stream-commit.js';
import { recordedOffsets, resumeOffsets } from '../online-table/stream-offsets.js';
import { sortedBatch, takenMessage, type MessageShape, type TakenMessage } from './stream-rows.js';

/** Values stay bytes: JSON is read as UTF-8 text, Avro as binary. */
type StreamMessage = Message<string, Buffer, string, string>;

export interface StreamConsumerOptions {
  /** Overrides the definition's `kafka.brokers`. */
  readonly brokers?: readonly string[];
  /** Override the definition's `batch`. */
  readonly maxRows?: number;
  readonly maxDelayMs?: number;
  /** Told where reading resumes, per partition, from the tables (absent: from the earliest offset), at start and after each rebalance. */
  readonly onResume?: (offsets: ReadonlyMap<number, bigint>) => void;
  /** Told after each batch has landed in every table. */
  readonly onBatch?: (progress: StreamBatchProgress) => void;
}

/**
 * One batch, landed. The counts are of what this batch added: a message the tables held already (a
 * batch read again after a restart or a rebalance) is read, not landed.
 */
export interface StreamBatchProgress {
  /** Messages the batch read. */
  readonly read: number;
  /** Messages it landed: rows plus dead letters. */
  readonly messages: number;
  /** Rows it appended to the source table (the batch source's). */
  readonly rows: number;
  /** Dead letters it appended to the dead-letter table. */
  readonly deadLetters: number;
  /** Per aggregated view with an allowedLateness, the rows it landed later than that (in the source table only). */
  readonly late: ReadonlyMap<string, number>;
  /** From the batch being formed to its last commit. */
  readonly commitMs: number;
  /** Per partition, the offset after the batch's last message. */
  readonly ends: ReadonlyMap<number, bigint>;
  readonly tables: readonly StreamTableCommit[];
}

/** Told of every batch landed and every batch that could not land (streamMetrics is one). */
export interface StreamObserver {
  readonly batch?: (progress: StreamBatchProgress) => void;
  readonly commitFailed?: (error: unknown) => void;
}

/**
 * One consumer of a stream source: reads its topic as a member of its consumer group, gathers
 * messages into batches of `maxRows` or `maxDelayMs`, and lands each batch exactly once in the push
 * source's tables (the batch source's table and the fed views' online tables) and bad messages in
 * the dead-letter table. Where to read from comes from the tables' snapshots, never from Kafka's
 * committed offsets. The next batch gathers while one lands (each message parsed and checked as it
 * is taken), and reading pauses when it is full, so a slow catalog slows the consumer and memory
 * holds at most two batches. A failed commit stops the consumer (run() rejects): a restart resumes
 * from the tables.
 */
export class StreamConsumer {
  private readonly stream: StreamSourceDefinition;
  private readonly maxRows: number;
  private readonly maxDelayMs: number;
  private consumer: Consumer<string, Buffer, string, string> | undefined;
  private messages: MessagesStream<string, Buffer, string, string> | undefined;
  private pending: TakenMessage[] = [];
  /** When the first of the pending messages was taken (performance.now()). */
  private pendingSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The batch landing now: its size and since when. */
  private landing: { readonly messages: number; readonly since: Date } | undefined;
  private stopping = false;
  private leaving = false;
  private batchTables: BatchTables | undefined;
  /** Per partition, the offset after the last message this consumer took into a batch. */
  private readonly taken = new Map<number, bigint>();
  private finished: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  readonly name: string;
  readonly topic: string;
  /** Per partition, the offset after the last message landed (or where reading resumed). */
  readonly positions = new Map<number, bigint>();
  /** The consumer group it joins, once run() has named it (before onResume is first told). */
  groupId: string | undefined;
  private readonly observers = new Set<StreamObserver>();

  constructor(
    private readonly context: FeatureContext,
    streamName: string,
    private readonly options: StreamConsumerOptions = {},
  ) {
    this.stream = context.registry.streamSource(streamName);
    this.name = this.stream.name;
    this.topic = this.stream.kafka.topic;
    this.maxRows = options.maxRows ?? this.stream.batch.maxRows;
    this.maxDelayMs = options.maxDelayMs ?? this.stream.batch.maxDelayMs;
  }

  /** Reads and lands batches until stop(); rejects when a batch cannot land. */
  async run(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => (this.finished = { resolve, reject }));
    const tables = await batchTables(this.context, this.stream);
    this.batchTables = tables;
    await tables.deadLetters.load();
    // Stopped while starting, before joining the group: nothing to leave.
    if (this.stopping) return;
    // Loaded here, not at import: `floe/worker` loads without the Kafka client until a stream runs.
    const kafka = await import('@platformatic/kafka');
    const { topic, brokers } = this.stream.kafka;
    const groupId = (this.groupId = groupIdOf(this.stream, tables.sourceTableUuid));
    const consumer = new kafka.Consumer({
      clientId: `floe-stream-${this.stream.name}`,
      groupId,
      bootstrapBrokers: [...(this.options.brokers ?? brokers)],
      sessionTimeout: 6_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTime: Math.min(500, this.maxDelayMs),
      // The client decodes a fetch response in one go on the main thread: at its default (50 MB)
      // a topic with a backlog answered ~400k messages at once and the batch landing waited a
      // second for the decode. 4 MB is ~35k small messages, decoded between the landing's steps.
      maxBytes: 4 * 1024 * 1024,
      deserializers: {
        key: kafka.stringDeserializer,
        value: (data?: Buffer) => data,
        headerKey: kafka.stringDeserializer,
        headerValue: kafka.stringDeserializer,
      },
    });
    this.consumer = consumer;
    const resume = await this.resumeOffsets(tables);
    let messages: MessagesStream<string, Buffer, string, string>;
    try {
      messages = await consumer.consume({
        topics: [topic],
        mode: kafka.MessagesStreamModes.MANUAL,
        offsets: [...resume].map(([partition, offset]) => ({ topic, partition, offset })),
        fallbackMode: kafka.MessagesStreamFallbackModes.EARLIEST,
        autocommit: false,
      });
    } catch (error) {
      // A join that failed leaves no client behind to keep the process alive.
      await this.close().catch(() => undefined);
      throw error;
    }
    this.messages = messages;
    // Stopped while joining: stop() left the client alone (closed under consume(), it broke the
    // join, and run() rejected with "Connection pool is closed"); leave the group now.
    if (this.stopping) {
      await this.close();
      return;
    }
    const spanning = () => groupSpanningTopics(consumer.assignments, { stream: this.stream.name, topic, groupId });
    if (spanning() !== undefined) void this.fail(spanning());
    // After a rebalance, read each partition again from the tables: another member may have landed
    // more of it meanwhile, and what this one fetched of it before is filtered out by the tables.
    consumer.on('consumer:group:join', () => {
      if (spanning() !== undefined) return void this.fail(spanning());
      void this.resumeOffsets(tables).then((offsets) => this.seek(offsets), this.fail.bind(this));
    });
    messages.on('data', (message: StreamMessage) => this.take(message, tables.shape));
    messages.on('error', (error: unknown) => void this.fail(error));
    return done;
  }

  /**
   * Lands the batch being gathered, then leaves the group and closes. run() then resolves. Called
   * while run() is still starting, it only marks the stop: run() leaves the group once it has
   * joined, then resolves.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.timer);
    if (this.messages === undefined) return;
    this.messages.pause();
    await this.running;
    try {
      if (this.pending.length > 0 && this.batchTables !== undefined) await this.land(this.pending.splice(0), this.batchTables);
      await this.close();
      this.finished?.resolve();
    } catch (error) {
      await this.close().catch(() => undefined);
      this.finished?.reject(error);
    }
  }

  /** What a stopping consumer still waits for, for its log: joining the group, a batch landing, or leaving the group. */
  waitingFor(): string {
    if (this.landing !== undefined)
      return `landing a batch of ${this.landing.messages} message(s) (since ${isoMillis(this.landing.since.getTime())})`;
    if (this.leaving) return 'leaving the consumer group';
    if (this.consumer !== undefined && this.messages === undefined) return 'joining the consumer group';
    return 'starting';
  }

  /** Adds an observer of batches; the function returned removes it. */
  observe(observer: StreamObserver): () => void {
    this.observers.add(observer);
    return () => void this.observers.delete(observer);
  }

  /** Per partition assigned to this consumer, the messages not landed yet (the partition's end offset minus this consumer's position). */
  async lag(): Promise<Map<number, bigint>> {
    const lag = new Map<number, bigint>();
    if (this.consumer === undefined) return lag;
    const { topic } = this.stream.kafka;
    const ends = (await this.consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    const assigned = this.consumer.assignments?.find((assignment) => assignment.topic === topic)?.partitions ?? [];
    for (const partition of assigned) lag.set(partition, (ends[partition] ?? 0n) - (this.positions.get(partition) ?? 0n));
    return lag;
  }

  /** Per partition, the least next offset over the row tables (see `land` for why the dead-letter table is not among them). */
  private async resumeOffsets(tables: BatchTables): Promise<Map<number, bigint>> {
    const recorded = await Promise.all(
      tables.rowTables.map(async (target) => recordedOffsets((await target.load()).metadata, this.stream.name)),
    );
    const resume = new Map<number, bigint>();
    for (const [partition, offset] of resumeOffsets(recorded)) if (offset !== undefined) resume.set(partition, offset);
    for (const [partition, offset] of resume) this.positions.set(partition, offset);
    this.options.onResume?.(resume);
    return resume;
  }

  private seek(offsets: ReadonlyMap<number, bigint>): void {
    const fetching = this.messages?.offsetsToFetch;
    if (fetching === undefined) return;
    for (const [partition, offset] of offsets) fetching.set(`${this.stream.kafka.topic}:${partition}`, offset);
  }

  private take(message: StreamMessage, shape: MessageShape): void {
    if (this.stopping) return;
    // Read again after a seek back to the tables' offsets: this consumer holds it, pending or landed.
    const { partition, offset } = message;
    if (offset < (this.taken.get(partition) ?? -1n)) return;
    this.taken.set(partition, offset + 1n);
    if (this.pending.length === 0) this.pendingSince = performance.now();
    this.pending.push(takenMessage(shape, message));
    if (this.pending.length < this.maxRows) this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
    // A full batch waits while the one before it lands, and reading pauses: a slow catalog slows
    // the consumer, and memory holds at most two batches.
    else if (this.running !== undefined) this.messages?.pause();
    else this.flush();
  }

  /** Starts landing the gathered messages, unless a batch is landing (its end flushes them when due). */
  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running !== undefined || this.pending.length === 0 || this.stopping || this.batchTables === undefined) return;
    const batch = this.pending.splice(0);
    // The next batch gathers while this one lands; batches land one at a time, in order.
    this.running = this.land(batch, this.batchTables).then(
      () => {
        this.running = undefined;
        if (this.stopping) return;
        this.messages?.resume();
        this.flushWhenDue();
      },
      (error: unknown) => {
        this.running = undefined;
        return this.fail(error);
      },
    );
  }

  /** After a batch landed: the next one goes now if it is full or has waited maxDelayMs, else when it will have. */
  private flushWhenDue(): void {
    if (this.pending.length === 0) return;
    const waited = performance.now() - this.pendingSince;
    if (this.pending.length >= this.maxRows || waited >= this.maxDelayMs) return this.flush();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.maxDelayMs - waited);
  }

  private async fail(error: unknown): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.timer);
    await this.close().catch(() => undefined);
    this.finished?.reject(error);
  }

  /** Closes the stream and leaves the group, once. */
  private async close(): Promise<void> {
    const { messages, consumer } = this;
    this.leaving = true;
    this.messages = undefined;
    this.consumer = undefined;
    await messages?.close();
    await consumer?.close();
  }

  /**
   * Lands one batch: bad messages in the dead-letter table first, then the rows in every row table
   * at once. Resuming from the row tables is then safe: a message below their offsets has its dead
   * letter committed already.
   */
  private async land(batch: readonly TakenMessage[], tables: BatchTables): Promise<void> {
    this.landing = { messages: batch.length, since: new Date() };
    try {
      await this.landBatch(batch, tables);
    } finally {
      this.landing = undefined;
    }
  }

  private async landBatch(batch: readonly TakenMessage[], tables: BatchTables): Promise<void> {
    const started = performance.now();
    const { ranges, good, letters } = sortedBatch(tables.shape, batch);
    const ends = new Map([...ranges].map(([partition, { next }]) => [partition, next]));
    const batchId = randomUUID();
    const { commits, rows, deadLetters, late } = await withScratchDirectory(this.context, `stream-${batchId}`, async (directory) => {
      const landed: StreamTableCommit[] = [];
      const land = async (
        name: string,
        stage: (folder: string) => Promise<StagedBatch>,
        positions: readonly MessagePosition[],
        targets: readonly TableTarget[],
      ) => {
        const folder = path.join(directory, name);
        await mkdir(folder, { recursive: true });
        const staged = await stage(folder);
        // Every table's commit is waited for, failed or not, before the batch is answered.
        const settled = await Promise.allSettled(
          targets.map((target, slot) =>
            commitStreamBatch(this.context, {
              stream: this.stream.name,
              batchId: `${batchId}-${name}${slot}`,
              staged,
              positions,
              ends,
              target,
              directory: folder,
            }),
          ),
        );
        const failed = settled.findIndex((result) => result.status === 'rejected');
        if (failed >= 0) throw batchFailure(this.stream, targets[failed]!, (settled[failed] as PromiseRejectedResult).reason, ranges);
        const commits = settled.map((result) => (result as PromiseFulfilledResult<StreamTableCommit>).value);
        landed.push(...commits);
        return commits;
      };
      const deadLetters =
        letters.length === 0
          ? 0
          : (await land('dead', (folder) => stageBatch(folder, deadLetterRequests(letters)), letters, [tables.deadLetters]))[0]!.rows;
      let stagedRows: StagedBatch | undefined;
      const rowCommits =
        good.length === 0
          ? []
          : await land(
              'rows',
              async (folder) =>
                (stagedRows = await stageRows(
                  folder,
                  tables.shape.fields,
                  good.map(({ row }) => row),
                )),
              good.map(({ position }) => position),
              tables.rowTables,
            );
      // What the source table took: a table holding the batch already (a re-read) took none of it.
      const rows = rowCommits[tables.rowTables.indexOf(tables.sourceTable)]?.rows ?? 0;
      const late = await lateEvents(this.context, this.context.registry.pushSourceOf(this.stream), rows === 0 ? undefined : stagedRows);
      return { commits: landed, rows, deadLetters, late };
    }).catch((error: unknown) => {
      for (const observer of this.observers) observer.commitFailed?.(error);
      throw error;
    });
    for (const [partition, next] of ends) this.positions.set(partition, next);
    const progress: StreamBatchProgress = {
      read: batch.length,
      messages: rows + deadLetters,
      rows,
      deadLetters,
      late,
      commitMs: performance.now() - started,
      ends,
      tables: commits,
    };
    this.options.onBatch?.(progress);
    for (const observer of this.observers) observer.batch?.(progress);
  }
}
