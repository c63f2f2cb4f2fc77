/**
 * One event-source mapping under `sls offline start`, as Lambda runs it: enabled or disabled, with the states
 * in between, its counters, and its offset lag. Disabling stops the consumer, which leaves its consumer group
 * (so the group has no members and its offsets can be reset, as Kafka requires); enabling starts a new one,
 * which resumes from the committed offsets (Disabling → Disabled, Enabling → Enabled, as on AWS). The state
 * lives in this process only: a new start takes each mapping's `enabled` from serverless.yml again, as
 * serverless-offline keeps nothing either.
 */
import { type Admin, logLevel } from 'kafkajs';
import { errorText, PipelineError } from '../../lib/errors.ts';
import { Kafka } from '../../lib/kafkajs.ts';
import {
  type EventSourceMappingConfiguration,
  type MappingState,
  type MappingStatus,
  toConfiguration,
} from './mapping.ts';
import type { EventSource } from './options.ts';
import { type EventSourceRunner, logAt, type RunnerOptions, superviseEventSource } from './runner.ts';
import { type LocalStats, MappingStats, type OffsetLag, offsetLag, type PartitionOffsets } from './stats.ts';

/** An update asked of a mapping that is between two states; AWS answers ResourceInUseException. */
export class MappingBusyError extends PipelineError {
  override readonly name: string = 'MappingBusyError';
  constructor(
    readonly uuid: string,
    readonly state: MappingState,
  ) {
    super(
      `The event source mapping ${uuid} is ${state}; update it again once it is ${state === 'Enabling' ? 'Enabled' : 'Disabled'}`,
      { code: 'EVENT_SOURCE_MAPPING_BUSY', retryable: true },
    );
  }
}

/** What a controller needs: the runner's options but the observer, which the controller supplies. */
export interface ControllerOptions extends Omit<RunnerOptions, 'observer'> {
  uuid: string;
  now: () => number;
  /** Starts the consumer; tests pass a fake. */
  supervise?: (options: RunnerOptions) => EventSourceRunner;
  /** Reads the topic's and the group's offsets; tests pass a fake. Unset: a kafkajs admin on the source's brokers. */
  readOffsets?: () => Promise<PartitionOffsets[]>;
}

/** One mapping: its state machine over the runner, its stats, and its configuration as AWS shows it. */
export class MappingController {
  readonly uuid: string;
  readonly source: EventSource;
  private readonly stats: MappingStats;
  private status: MappingStatus;
  private runner: EventSourceRunner | undefined;
  /** The stop under way while Disabling; awaited by a shutdown. */
  private stopping: Promise<void> | undefined;
  private connectionProblem: string | undefined;
  /** Bumped by each enable and disable, so a runner's late report about an old start changes nothing. */
  private generation = 0;
  private readonly offsets: OffsetReader;

  constructor(private readonly options: ControllerOptions) {
    this.uuid = options.uuid;
    this.source = options.source;
    this.stats = new MappingStats(options.source.metrics ?? []);
    this.status = {
      state: 'Disabled',
      reason: 'USER_INITIATED',
      lastModifiedMs: options.now(),
      lastProcessingResult: 'No records processed',
    };
    this.offsets = options.readOffsets
      ? { read: options.readOffsets, close: async () => {} }
      : kafkaOffsets(options);
  }

  /** Where the mapping stands now. */
  get state(): MappingState {
    return this.status.state;
  }

  /** Starts consuming when serverless.yml enables the event; a disabled one waits for an update. */
  start(): void {
    if (this.source.enabled) this.enable();
  }

  /**
   * UpdateEventSourceMapping's `Enabled`: starts or stops the consumer and answers at once with the state in
   * between, as AWS does; the same value again changes nothing. A mapping still Enabling (Kafka or the topic
   * not there yet) can be disabled, so a source that cannot start never holds the mapping.
   *
   * @throws {@link MappingBusyError} when enabling a mapping that is still Disabling
   */
  setEnabled(enabled: boolean): EventSourceMappingConfiguration {
    const state = this.status.state;
    if (enabled && state === 'Disabling') throw new MappingBusyError(this.uuid, state);
    if (enabled && state === 'Disabled') this.enable();
    if (!enabled && (state === 'Enabled' || state === 'Enabling')) this.disable();
    return this.configuration();
  }

  /** The mapping as GetEventSourceMapping shows it. */
  configuration(): EventSourceMappingConfiguration {
    return toConfiguration(
      this.source,
      this.uuid,
      {
        ...this.status,
        lastProcessingResult: this.connectionProblem ?? this.stats.lastProcessingResult(),
      },
      this.options.region,
    );
  }

  /** The published counters, the offset lags (null when Kafka cannot be read) and the last invocations. */
  async localStats(): Promise<LocalStats> {
    let lag: OffsetLag | null = null;
    try {
      lag = offsetLag(await this.offsets.read(), this.source.startingPosition);
    } catch {
      lag = null;
    }
    return this.stats.snapshot(lag);
  }

  /** Stops the consumer (waiting for invocations in flight, up to the shutdown timeout) and the offset reader. */
  async stop(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    await Promise.all([runner?.stop(), this.stopping, this.offsets.close()]);
  }

  private enable(): void {
    this.transition('Enabling');
    const generation = ++this.generation;
    const current = () => this.generation === generation;
    const supervise = this.options.supervise ?? superviseEventSource;
    const { source, settings, lambdaEndpoint, region, log, warn } = this.options;
    this.runner = supervise({
      source,
      settings,
      lambdaEndpoint,
      region,
      log,
      warn,
      observer: {
        polled: (records, filteredOut) => this.stats.polled(records, filteredOut),
        invocation: (entry) => this.stats.record(entry),
        committed: (records) => this.stats.committed(records),
        error: (metric) => this.stats.error(metric),
        started: () => {
          if (!current()) return;
          this.connectionProblem = undefined;
          if (this.status.state === 'Enabling') this.transition('Enabled');
        },
        startFailed: (error) => {
          this.stats.error('PollingErrorCount');
          if (current()) this.connectionProblem = `PROBLEM: Connection error. ${errorText(error)}`;
        },
      },
    });
  }

  private disable(): void {
    this.transition('Disabling');
    this.generation++;
    const runner = this.runner;
    this.runner = undefined;
    this.stopping = (async () => {
      try {
        await runner?.stop();
      } catch (error) {
        this.options.warn(`${this.source.functionKey}: stopping the consumer failed (${errorText(error)})`);
      }
      this.stopping = undefined;
      this.connectionProblem = undefined;
      this.transition('Disabled');
      logAt(
        this.options,
        'INFO',
        `${this.source.functionKey}: disabled; no consumer in group ${this.source.consumerGroupId} until it is enabled`,
      );
    })();
  }

  private transition(state: MappingState): void {
    this.status = { ...this.status, state, reason: 'USER_INITIATED', lastModifiedMs: this.options.now() };
  }
}

interface OffsetReader {
  read(): Promise<PartitionOffsets[]>;
  close(): Promise<void>;
}

/** The topic's watermarks and the group's committed offsets, through one admin client kept for the mapping. */
function kafkaOffsets(options: ControllerOptions): OffsetReader {
  const { source } = options;
  let admin: Promise<Admin> | undefined;
  const connect = () => {
    admin ??= (async () => {
      const client = new Kafka({
        clientId: `offline-kafka-control-${source.functionKey}`,
        brokers: source.brokers,
        logLevel: logLevel.NOTHING,
      }).admin();
      await client.connect();
      return client;
    })();
    return admin;
  };
  return {
    read: async () => {
      try {
        const client = await connect();
        const [topic, [group]] = await Promise.all([
          client.fetchTopicOffsets(source.topic),
          client.fetchOffsets({ groupId: source.consumerGroupId, topics: [source.topic] }),
        ]);
        const committed = new Map((group?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        return topic.map((p) => ({
          partition: p.partition,
          low: Number(p.low),
          high: Number(p.high),
          committed: committed.get(p.partition) ?? -1,
        }));
      } catch (error) {
        // The next read connects afresh: the broker may have restarted.
        const failed = admin;
        admin = undefined;
        await failed?.then((c) => c.disconnect()).catch(() => {});
        throw error;
      }
    },
    close: async () => {
      const open = admin;
      admin = undefined;
      await open?.then((c) => c.disconnect()).catch(() => {});
    },
  };
}
