/**
 * The running event source of one `kafka`/`msk` event: a kafkajs consumer group that buffers each
 * partition's records, cuts batches by `batchSize`, `maximumBatchingWindow` and the 6 MB payload cap,
 * invokes the function through serverless-offline's Lambda Invoke API (synchronously, one invocation in
 * flight per partition, partitions in parallel), and commits a partition's offset only once its batch has
 * succeeded or its failed records have been handed on.
 *
 * kafkajs runs with `autoCommit: false`: `resolveOffset` only moves the fetch position forward, and the
 * group's committed offset moves only in {@link PartitionWorker.commit}. A crash or Ctrl-C therefore
 * loses nothing: whatever was not committed is fetched again by the next start.
 */
import kafkajs, {
  type Admin,
  type Consumer,
  type ConsumerRunConfig,
  type EachBatchPayload,
  type KafkaMessage,
  logLevel,
  type Producer,
} from 'kafkajs';
import { errorText } from '../../lib/errors.ts';
import { Kafka } from '../../lib/kafkajs.ts';
import { invokeLambda } from '../../lib/lambda-invoke.ts';
import {
  type BatchDeps,
  emptyResult,
  type FailedBatch,
  formatLog,
  giveUp,
  type InvocationLog,
  processBatch,
} from './batch.ts';
import { toDestinationMessages } from './destination.ts';
import {
  buildEvent,
  envelopeBytes,
  nextBatchLength,
  RecordTooLargeForPayloadError,
  recordJsonBytes,
  type SourceRecord,
} from './event.ts';
import { matchesAny } from './filter.ts';
import { functionArn } from './mapping.ts';
import { createMembershipWatch } from './membership.ts';
import { awsLimits, type EventSource, type PluginSettings } from './options.ts';
import { type PollerSlots, pollerSlots } from './pollers.ts';
import {
  createRecordValidator,
  localRegistryUrl,
  type RecordValidator,
  RegistryUnavailableError,
  type RejectionCode,
} from './registry.ts';
import type { ErrorMetric } from './stats.ts';
import { invocationLevel, logsAt, type SystemLogLevel } from './system-log.ts';

/** How the runner reaches the function and reports what it does. */
export interface RunnerOptions {
  source: EventSource;
  settings: PluginSettings;
  /** Base URL of serverless-offline's Lambda Invoke API, e.g. `http://127.0.0.1:3002`. */
  lambdaEndpoint: string;
  region: string;
  log: (line: string) => void;
  warn: (line: string) => void;
  /** Told what the event source does, for its metrics (stats.ts) and its state (control.ts). */
  observer?: RunnerObserver;
}

/** What a running event source reports besides its log lines. */
export interface RunnerObserver {
  /** Records read from Kafka for the first time since the last rebalance, and how many of them no filter matched. */
  polled(records: number, filteredOut: number): void;
  /** Each invocation, and each set of records handed to the destination or dropped (batch.ts's log lines). */
  invocation(entry: InvocationLog): void;
  /** A partition's committed offset moved past this many records. */
  committed(records: number): void;
  /** An error the ErrorCount metrics count (a failed start is reported through startFailed). */
  error(metric: Exclude<ErrorMetric, 'PollingErrorCount'>): void;
  /** The consumer has joined its group and is fetching. */
  started(): void;
  /** A start failed (Kafka or the topic not there yet); the supervisor tries again. */
  startFailed(error: unknown): void;
}

/**
 * How long the group may take to rebalance (kafkajs's default, stated because the membership watch waits as
 * long before it gives up on kafkajs rejoining by itself).
 */
const rebalanceTimeoutMs = 60_000;

/** A started event source. */
export interface EventSourceRunner {
  /** Stops fetching, waits for invocations in flight (up to the shutdown timeout), then disconnects. */
  stop(): Promise<void>;
}

/**
 * Starts consuming for one event source.
 *
 * @throws when Kafka cannot be reached or the starting position cannot be set
 */
export async function startEventSource(options: RunnerOptions): Promise<EventSourceRunner> {
  const { source } = options;
  const kafka = new Kafka({
    clientId: `offline-kafka-${source.functionKey}`,
    brokers: source.brokers,
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => {
      if (entry.level <= logLevel.ERROR) options.warn(`kafkajs: ${entry.log.message}`);
    },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await setStartingOffsets(admin, source, (line) => logAt(options, 'INFO', line));
  } finally {
    await admin.disconnect();
  }

  const producer = source.onFailure?.kind === 'kafka' ? kafka.producer({ idempotent: true }) : undefined;
  // A batching window of 0 still needs a short broker wait, or kafkajs would spin.
  const consumer = kafka.consumer({
    groupId: source.consumerGroupId,
    maxWaitTimeInMs: Math.min(Math.max(source.maximumBatchingWindowMs, 10), 1000),
    maxBytesPerPartition: awsLimits.payloadBytes,
    rebalanceTimeout: rebalanceTimeoutMs,
  });
  const state = new RunnerState(options, consumer, producer);
  try {
    await producer?.connect();
    consumer.on(consumer.events.GROUP_JOIN, () => state.onRebalance());
    await consumer.connect();
    await consumer.subscribe({ topic: source.topic, fromBeginning: source.startingPosition !== 'LATEST' });
    await consumer.run(state.runConfig);
  } catch (error) {
    await state.stop();
    throw error;
  }
  options.log(
    `${source.functionKey}: consuming ${source.topic} as group ${source.consumerGroupId} (batchSize ${source.batchSize}, window ${source.maximumBatchingWindowMs} ms${source.maximumPollers === undefined ? '' : `, at most ${source.maximumPollers} invocation${source.maximumPollers === 1 ? '' : 's'} at once`})`,
  );
  return { stop: () => state.stop() };
}

/**
 * Starts an event source in the background and keeps trying while Kafka or the topic is not there yet,
 * as Lambda's mapping keeps polling; the first failure is reported once.
 */
export function superviseEventSource(options: RunnerOptions, retryMs = 2000): EventSourceRunner {
  let stopped = false;
  let runner: EventSourceRunner | undefined;
  let wake: (() => void) | undefined;
  const started = (async () => {
    let warned = false;
    while (!stopped) {
      try {
        runner = await startEventSource(options);
        options.observer?.started();
        if (warned)
          logAt(options, 'INFO', `${options.source.functionKey}: ${options.source.topic} is reachable now`);
        return;
      } catch (error) {
        options.observer?.startFailed(error);
        if (!warned) {
          options.warn(
            `${options.source.functionKey}: cannot consume ${options.source.topic} yet (${errorText(error)}); retrying every ${retryMs / 1000} s`,
          );
          warned = true;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await started;
      await runner?.stop();
    },
  };
}

/**
 * Gives partitions that the group has never committed the offset the starting position asks for, and
 * commits it, so that LATEST and AT_TIMESTAMP mean the same thing after a restart (AWS fixes the position
 * when the mapping is created). Partitions with a committed offset resume from it.
 */
async function setStartingOffsets(
  admin: Admin,
  source: EventSource,
  log: (line: string) => void,
): Promise<void> {
  const [committed] = await admin.fetchOffsets({ groupId: source.consumerGroupId, topics: [source.topic] });
  const fresh = (committed?.partitions ?? []).filter((p) => Number(p.offset) < 0).map((p) => p.partition);
  if (fresh.length === 0) return;

  let targets: Array<{ partition: number; offset: string }>;
  if (source.startingPosition === 'AT_TIMESTAMP') {
    const byTime = await admin.fetchTopicOffsetsByTimestamp(source.topic, source.startingPositionTimestampMs);
    const latest = await admin.fetchTopicOffsets(source.topic);
    targets = byTime.map((p) => ({
      partition: p.partition,
      // No record at or after the time: start at the end, as a later record would.
      offset:
        Number(p.offset) >= 0 ? p.offset : (latest.find((l) => l.partition === p.partition)?.high ?? '0'),
    }));
  } else {
    const offsets = await admin.fetchTopicOffsets(source.topic);
    targets = offsets.map((p) => ({
      partition: p.partition,
      offset: source.startingPosition === 'LATEST' ? p.high : p.low,
    }));
  }
  const partitions = targets.filter((t) => fresh.includes(t.partition));
  await admin.setOffsets({ groupId: source.consumerGroupId, topic: source.topic, partitions });
  log(
    `${source.functionKey}: group ${source.consumerGroupId} starts ${source.topic} at ${source.startingPosition} (${partitions
      .map((p) => `${p.partition}@${p.offset}`)
      .join(', ')})`,
  );
}

/** The level the source logs at: the plugin's setting, else the event's `loggingConfig`. */
export function systemLogLevel(
  options: Pick<RunnerOptions, 'source' | 'settings'>,
): SystemLogLevel | undefined {
  return options.settings.systemLogLevel ?? options.source.systemLogLevel;
}

/** One of the mapping's system-log lines, printed when its level lets it through (system-log.ts). */
export function logAt(
  options: Pick<RunnerOptions, 'source' | 'settings' | 'log'>,
  level: SystemLogLevel,
  line: string,
): void {
  if (logsAt(systemLogLevel(options), level)) options.log(line);
}

/** Serialized size of each buffered record, computed once: the buffer and the batch cut both need it. */
const sizes = new WeakMap<SourceRecord, number>();
/** When each buffered record arrived: the batching window runs from the oldest one waiting. */
const arrivals = new WeakMap<SourceRecord, number>();
function sizeOf(record: SourceRecord): number {
  let size = sizes.get(record);
  if (size === undefined) {
    size = recordJsonBytes(record);
    sizes.set(record, size);
  }
  return size;
}

/** The shared state of one event source's consumer: a worker per partition. */
class RunnerState {
  private readonly workers = new Map<number, PartitionWorker>();
  private stopping = false;
  /** Provisioned mode's bound on the invocations in flight across partitions. */
  readonly pollers: PollerSlots;
  /** The schema registry step, only when the event has `schemaRegistryConfig` (registry.ts). */
  private readonly validator: RecordValidator | undefined;
  readonly runConfig: ConsumerRunConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 64,
    eachBatch: (payload) => this.onBatch(payload),
  };
  private readonly membership = createMembershipWatch({
    timeoutMs: rebalanceTimeoutMs,
    onStale: () => void this.replaceConsumer(),
  });

  constructor(
    readonly options: RunnerOptions,
    readonly consumer: Consumer,
    readonly producer: Producer | undefined,
  ) {
    this.pollers = pollerSlots(options.source.maximumPollers);
    const registry = options.source.schemaRegistry;
    this.validator =
      registry === undefined ? undefined : createRecordValidator(registry, localRegistryUrl(registry));
  }

  get running(): boolean {
    return !this.stopping;
  }

  async onBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    const worker = this.worker(batch.partition);
    let records = batch.messages.map((m) => toSourceRecord(batch.topic, batch.partition, m));
    let rejected: ReadonlySet<SourceRecord> | undefined;
    if (this.validator) {
      const validated = await this.validateAll(this.validator, worker, records, heartbeat);
      // Shutdown began while the registry was unreachable: nothing is resolved, so it is all fetched again.
      if (validated === undefined) return;
      ({ records, rejected } = validated);
    }
    worker.push(records, rejected);
    // Moves the fetch position only; the group's offset is committed by the worker after the invocation.
    const last = batch.messages.at(-1);
    if (last) resolveOffset(last.offset);
    await heartbeat();
  }

  /**
   * Each record through the registry step, in offset order: a record that passes is replaced by its delivered
   * form; one that fails is handed to the on-failure destination (or dropped) before anything commits past
   * it, and counted in SchemaRegistryErrorCount. While the registry does not answer, the same record is
   * asked about again with the retry backoff (each failed ask counted too), as AWS's mapping keeps retrying
   * a registry it cannot reach rather than failing records for it.
   *
   * @returns undefined when shutdown began meanwhile
   */
  private async validateAll(
    validator: RecordValidator,
    worker: PartitionWorker,
    fetched: SourceRecord[],
    heartbeat: () => Promise<void>,
  ): Promise<{ records: SourceRecord[]; rejected: Set<SourceRecord> } | undefined> {
    const { observer, settings, source } = this.options;
    const records: SourceRecord[] = [];
    const rejected = new Set<SourceRecord>();
    for (const record of fetched) {
      for (let attempt = 1; ; attempt++) {
        if (this.stopping) return undefined;
        try {
          const result = await validator.validate(record);
          if (result.ok) {
            records.push(result.record);
          } else {
            observer?.error('SchemaRegistryErrorCount');
            await worker.reject(record, result.code, result.reason);
            records.push(record);
            rejected.add(record);
          }
          break;
        } catch (error) {
          if (!(error instanceof RegistryUnavailableError)) throw error;
          observer?.error('SchemaRegistryErrorCount');
          const delay = Math.min(settings.retryMaxDelayMs, settings.retryBaseDelayMs * 2 ** (attempt - 1));
          if (attempt === 1) logAt(this.options, 'WARN', `${source.functionKey}: ${error.message}; retrying`);
          await new Promise((resolve) => setTimeout(resolve, delay));
          await heartbeat();
        }
      }
    }
    return { records, rejected };
  }

  /** After a rebalance kafkajs fetches again from the committed offsets, so buffered records are dropped. */
  onRebalance(): void {
    this.membership.known();
    for (const worker of this.workers.values()) worker.reset();
  }

  onCommitted(): void {
    this.membership.known();
  }

  onCommitFailed(error: unknown): void {
    this.membership.commitFailed(error);
  }

  /**
   * The group has refused this consumer's commits for a whole rebalance timeout without it rejoining (see
   * membership.ts): it is stopped and run again, which joins the group afresh and fetches from the committed
   * offsets, so what it delivered but could not commit is delivered again.
   */
  private async replaceConsumer(): Promise<void> {
    if (this.stopping) return;
    const { source } = this.options;
    this.options.warn(
      `${source.functionKey}: group ${source.consumerGroupId} has refused this consumer's commits for ${rebalanceTimeoutMs / 1000} s (unknown member) and it has not rejoined; restarting it`,
    );
    try {
      await this.consumer.stop();
      if (!this.stopping) await this.consumer.run(this.runConfig);
    } catch (error) {
      this.options.warn(`${source.functionKey}: restarting the consumer failed (${errorText(error)})`);
    }
  }

  pause(partition: number): void {
    this.inGroup(() => this.consumer.pause([{ topic: this.options.source.topic, partitions: [partition] }]));
  }

  resume(partition: number): void {
    this.inGroup(() => this.consumer.resume([{ topic: this.options.source.topic, partitions: [partition] }]));
  }

  /**
   * Between two runs of the consumer (kafkajs restarting it after a crash, or {@link replaceConsumer}) there is
   * no group, and kafkajs refuses to pause or resume; the join that follows resets every worker, unpaused.
   */
  private inGroup(change: () => void): void {
    try {
      change();
    } catch (error) {
      // kafkajs's error classes are reached through the default export: ESM sees no named export for them.
      if (!(error instanceof kafkajs.KafkaJSNonRetriableError)) throw error;
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.membership.stop();
    for (const worker of this.workers.values()) worker.wake();
    const idle = Promise.all([...this.workers.values()].map((w) => w.idle()));
    const timeout = this.options.settings.shutdownTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      idle.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeout);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.options.warn(
        `${this.options.source.functionKey}: invocations still running after ${timeout} ms; their offsets stay uncommitted`,
      );
    }
    await this.consumer.disconnect().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
  }

  private worker(partition: number): PartitionWorker {
    let worker = this.workers.get(partition);
    if (!worker) {
      worker = new PartitionWorker(this, partition);
      this.workers.set(partition, worker);
    }
    return worker;
  }
}

/**
 * One partition's buffer and its invocation loop. Only one batch of a partition is ever in flight; the
 * partition is paused while the buffer holds more than a few batches.
 */
class PartitionWorker {
  private buffer: SourceRecord[] = [];
  private bufferedBytes = 0;
  /** The offset after the last record seen (buffered or filtered out): where a commit may go when idle. */
  private nextOffset: number | undefined;
  /** The first offset fetched since this worker started: where CommittedEventCount counts from at first. */
  private firstSeen: number | undefined;
  private generation = 0;
  private paused = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** Bytes of this partition's event with no records, and the batch dependencies: both fixed per partition. */
  private envelope: number | undefined;
  private batchDeps: BatchDeps | undefined;

  constructor(
    private readonly state: RunnerState,
    private readonly partition: number,
  ) {}

  private get source(): EventSource {
    return this.state.options.source;
  }

  /** Buffers what the filters let through; `rejected` records (the registry step's) only move the offset. */
  push(records: SourceRecord[], rejected?: ReadonlySet<SourceRecord>): void {
    let polled = 0;
    let filteredOut = 0;
    for (const record of records) {
      if (this.nextOffset !== undefined && record.offset < this.nextOffset) continue;
      this.firstSeen ??= record.offset;
      this.nextOffset = record.offset + 1;
      polled++;
      if (rejected?.has(record)) continue;
      if (!matchesAny(this.source.filterPatterns, record)) {
        filteredOut++;
        continue;
      }
      this.buffer.push(record);
      this.bufferedBytes += sizeOf(record);
      arrivals.set(record, Date.now());
    }
    if (polled > 0) this.state.options.observer?.polled(polled, filteredOut);
    if (!this.paused && this.buffer.length >= this.highWater()) {
      this.paused = true;
      this.state.pause(this.partition);
    }
    this.loop ??= this.run().finally(() => {
      this.loop = undefined;
    });
    this.wake();
  }

  /**
   * A record that failed the registry step: to the on-failure destination when there is one, else dropped,
   * with its log line and counts, as records given up after their retries are.
   */
  async reject(record: SourceRecord, code: RejectionCode, reason: string): Promise<void> {
    await giveUp([record], code, 0, { errorType: code, errorMessage: reason }, this.deps(), emptyResult());
  }

  /** Forgets buffered records; kafkajs fetches them again from the committed offset. */
  reset(): void {
    this.generation++;
    this.buffer = [];
    this.bufferedBytes = 0;
    this.nextOffset = undefined;
    if (this.paused) {
      this.paused = false;
      this.state.resume(this.partition);
    }
  }

  wake(): void {
    this.wakeUp?.();
  }

  async idle(): Promise<void> {
    await this.loop;
  }

  private highWater(): number {
    return Math.max(this.source.batchSize * 3, 1000);
  }

  private async run(): Promise<void> {
    while (this.state.running) {
      if (this.buffer.length === 0) {
        await this.commitIdle();
        if (this.buffer.length === 0) return;
      }
      const waitMs = this.readyIn();
      if (waitMs > 0) {
        await this.sleepUnlessWoken(waitMs);
        continue;
      }
      await this.invokeNext();
    }
  }

  /** 0 when a batch should go now: it is full, the payload cap is near, or the window has passed. */
  private readyIn(): number {
    if (this.buffer.length >= this.source.batchSize) return 0;
    if (this.bufferedBytes >= awsLimits.payloadBytes) return 0;
    const oldest = this.buffer[0];
    const since = oldest === undefined ? 0 : Date.now() - (arrivals.get(oldest) ?? Date.now());
    return Math.max(0, this.source.maximumBatchingWindowMs - since);
  }

  private async invokeNext(): Promise<void> {
    const generation = this.generation;
    this.envelope ??= envelopeBytes(this.source, this.source.topic, this.partition);
    const base = this.envelope;
    let batch: SourceRecord[];
    try {
      batch = this.buffer.slice(
        0,
        nextBatchLength(this.buffer, this.source.batchSize, awsLimits.payloadBytes, base, sizeOf),
      );
    } catch (error) {
      if (!(error instanceof RecordTooLargeForPayloadError)) throw error;
      batch = [error.record];
      await giveUp(
        batch,
        'PayloadSizeExceeded',
        0,
        { errorType: error.name, errorMessage: error.message },
        this.deps(),
        emptyResult(),
      );
      this.take(batch.length, generation);
      await this.commit(batch, generation);
      return;
    }
    const result = await processBatch(batch, this.deps());
    if (!result.committable) return;
    this.take(batch.length, generation);
    await this.commit(batch, generation);
  }

  private take(count: number, generation: number): void {
    if (generation !== this.generation) return;
    const taken = this.buffer.splice(0, count);
    for (const record of taken) this.bufferedBytes -= sizeOf(record);
    if (this.paused && this.buffer.length < this.highWater() / 2) {
      this.paused = false;
      this.state.resume(this.partition);
    }
  }

  /** Commits past `batch`: up to the next buffered record, or past everything seen when the buffer is empty. */
  private async commit(batch: SourceRecord[], generation: number): Promise<void> {
    const last = batch.at(-1);
    if (!last) return;
    const next =
      generation === this.generation
        ? (this.buffer[0]?.offset ?? this.nextOffset ?? last.offset + 1)
        : last.offset + 1;
    await this.commitAt(next);
  }

  private committed: number | undefined;

  /** With an empty buffer, records that were filtered out still move the committed offset. */
  private async commitIdle(): Promise<void> {
    if (this.nextOffset !== undefined && this.nextOffset !== this.committed)
      await this.commitAt(this.nextOffset);
  }

  private async commitAt(offset: number): Promise<void> {
    try {
      await this.state.consumer.commitOffsets([
        { topic: this.source.topic, partition: this.partition, offset: String(offset) },
      ]);
      const from = this.committed ?? this.firstSeen ?? offset;
      if (offset > from) this.state.options.observer?.committed(offset - from);
      this.committed = offset;
      this.state.onCommitted();
    } catch (error) {
      this.state.options.observer?.error('CommitErrorCount');
      this.state.onCommitFailed(error);
      // A rebalance took the partition away: the next owner starts from the last committed offset.
      this.state.options.warn(
        `${this.source.functionKey}: commit of ${this.source.topic}-${this.partition}@${offset} failed (${errorText(error)}); the records will be delivered again`,
      );
    }
  }

  private sleepUnlessWoken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** Built once per partition: the same for every batch. */
  private deps(): BatchDeps {
    this.batchDeps ??= this.buildDeps();
    return this.batchDeps;
  }

  private buildDeps(): BatchDeps {
    const { options, producer } = this.state;
    const { source, settings } = options;
    const arn = functionArn(options.region, source.functionName);
    return {
      source,
      invoke: (records) =>
        this.state.pollers.run(() =>
          invokeLambda({
            endpoint: options.lambdaEndpoint,
            functionName: source.functionName,
            event: buildEvent(source, records),
          }),
        ),
      sendToDestination: async (failed: FailedBatch) => {
        if (!producer || source.onFailure?.kind !== 'kafka') return;
        const messages = toDestinationMessages(failed, {
          functionArn: arn,
          bootstrapServers: source.bootstrapServers,
          failedAt: new Date(),
        });
        try {
          await producer.send({ topic: source.onFailure.topic, acks: -1, messages });
        } catch (error) {
          options.observer?.error('OnFailureDestinationDeliveryErrorCount');
          throw error;
        }
      },
      log: (entry: InvocationLog) => {
        logAt(options, invocationLevel(entry), formatLog(entry));
        options.observer?.invocation(entry);
      },
      now: () => Date.now(),
      // A plain timer: records arriving meanwhile must not cut a retry's backoff short.
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      backoff: (retry) => Math.min(settings.retryMaxDelayMs, settings.retryBaseDelayMs * 2 ** (retry - 1)),
      running: () => this.state.running,
    };
  }
}

/** A kafkajs message as the event source keeps it. */
export function toSourceRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  const headers: Array<[string, Buffer]> = [];
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== undefined) headers.push([name, Buffer.isBuffer(v) ? v : Buffer.from(v)]);
    }
  }
  // kafkajs passes the record batch's attributes along undeclared; timestampType 1 is LogAppendTime.
  const context: unknown = 'batchContext' in message ? message.batchContext : undefined;
  const logAppendTime =
    typeof context === 'object' &&
    context !== null &&
    'timestampType' in context &&
    context.timestampType === 1;
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType: logAppendTime ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
    key: message.key,
    value: message.value,
    headers,
  };
}
