/**
 * `/metrics` in Prometheus' text format (prom-client): the live view's counts as gauges (they are read from
 * the stores, so they can go down after a reset), the end-to-end latency as a histogram of every sample the
 * console measured, and the function errors it saw as a counter. A registry of its own, so nothing else in
 * the process (kafkajs, the functions) adds to it.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventSourceView, FunctionError, LiveSnapshot, StageCounts } from './api.ts';

/** The console's metrics. */
export interface ConsoleMetrics {
  registry: Registry;
  /** Sets the gauges from a snapshot. */
  update(snapshot: LiveSnapshot): void;
  /** One end-to-end latency sample, in milliseconds. */
  observeLatency(ms: number): void;
  /** One function error seen in the logs. */
  countError(error: FunctionError): void;
}

const gauges: ReadonlyArray<[keyof Omit<StageCounts, 'lag'>, string, string]> = [
  ['fetched', 'pipeline_users_fetched', 'Users fetch-users received since npm start (from its logs).'],
  ['stored', 'pipeline_users_stored', 'Rows in users_raw.'],
  ['outboxPending', 'pipeline_outbox_pending', 'Outbox rows not yet published.'],
  ['outboxDead', 'pipeline_outbox_dead', 'Outbox rows that can never be published.'],
  ['published', 'pipeline_outbox_published', 'Outbox rows published to Kafka.'],
  ['cassandraRows', 'pipeline_cassandra_rows', 'Rows in created_users.'],
  ['deadLetters', 'pipeline_dead_letters', 'Records on the dead-letter topic.'],
  ['busPending', 'pipeline_bus_pending', 'Deliveries the local EventBridge has still to make.'],
  ['busDeadLettered', 'pipeline_bus_dead_lettered', 'Deliveries the local EventBridge dead-lettered.'],
];

/** How long a scrape waits for the event-source mappings before leaving their series out. */
const eventSourcesTimeoutMs = 2_000;

/**
 * Builds the registry; `labels` go on every metric (the run's topic, keyspace and database).
 *
 * @param eventSources - the mappings with their published metrics, read at each scrape; a failed read leaves
 *   their gauge empty (no mapping API outside `npm start`)
 */
export function createMetrics(
  labels: Record<string, string> = {},
  eventSources?: () => Promise<EventSourceView[]>,
): ConsoleMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  new Gauge({
    name: 'pipeline_event_source_mapping_metric',
    help: "An event-source mapping's AWS metric (EventCount and ErrorCount groups: sums since its start; KafkaMetrics: the offset lags now), only for the groups its metricsConfig publishes.",
    labelNames: ['function', 'uuid', 'metric'],
    registers: [registry],
    async collect() {
      this.reset();
      if (!eventSources) return;
      let mappings: EventSourceView[];
      let timer: NodeJS.Timeout | undefined;
      try {
        // A mapping API that does not answer must not hold the scrape: its series are left out instead.
        mappings = await Promise.race([
          eventSources(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('no answer')), eventSourcesTimeoutMs);
          }),
        ]);
      } catch {
        return;
      } finally {
        clearTimeout(timer);
      }
      for (const m of mappings) {
        for (const [metric, value] of Object.entries(m.metrics)) {
          if (typeof value === 'number') this.set({ function: m.functionName, uuid: m.uuid, metric }, value);
        }
      }
    },
  });
  const byKey = new Map(
    gauges.map(([key, name, help]) => [key, new Gauge({ name, help, registers: [registry] })] as const),
  );
  const readable = new Gauge({
    name: 'pipeline_stage_readable',
    help: 'Whether the stage could be read at the last reading (1) or not (0, its gauge keeps its last value).',
    labelNames: ['stage'],
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'pipeline_consumer_lag',
    help: "Records the sink's consumer group has yet to commit, per partition.",
    labelNames: ['partition'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'pipeline_end_to_end_latency_seconds',
    help: 'From the outbox commit to the Cassandra write, per sampled user.',
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'pipeline_function_errors_total',
    help: 'Errors the functions logged, by function and code (under npm start only).',
    labelNames: ['function', 'code'],
    registers: [registry],
  });
  return {
    registry,
    update(snapshot) {
      for (const [key, gauge] of byKey) {
        const value = snapshot.counts[key];
        // A stage that could not be read keeps its last value, and says so in pipeline_stage_readable: a
        // gauge without labels cannot be absent, and 0 would read as a drop.
        readable.set({ stage: key }, value === null ? 0 : 1);
        if (value !== null) gauge.set(value);
      }
      lag.reset();
      for (const p of snapshot.counts.lag ?? []) lag.set({ partition: String(p.partition) }, p.lag);
    },
    observeLatency: (ms) => latency.observe(ms / 1000),
    countError: (error) => errors.inc({ function: error.function, code: error.code }),
  };
}
