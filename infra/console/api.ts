/**
 * The console's HTTP contract: every route, and the JSON each returns or takes, in one place, imported by the
 * server (server.ts) and by the page (web/). Types only, so the page's bundle gets nothing from it but names.
 *
 * Routes (all on 127.0.0.1; `token` means the request must carry the start's token in {@link tokenHeader}):
 *
 *   GET  /                                      the page (web/index.html); /app.js and /app.css its bundle
 *   GET  /api/live                              server-sent events: `snapshot` ({@link LiveSnapshot}) every second;
 *                                               the first one carries the last 15 minutes of history
 *   GET  /api/kafka                             {@link KafkaView}
 *   POST /api/kafka/groups/:group/reset  token  {@link OffsetResetRequest} → {@link OffsetResetResult}; 409 while the group has members
 *   GET  /api/messages?topic&partition&offset|timestamp&limit   {@link MessagePage}
 *   GET  /api/users/:id                         {@link UserTrace}
 *   GET  /api/dead-letters?partition&offset&limit   {@link DeadLetterPage} (the dead-letter topic; partition 0 unless given)
 *   POST /api/dead-letters/redrive       token  {@link RedriveRequest} → {@link RedriveResult}
 *   GET  /api/bus/dead-letters                  {@link BusDeadLetter}[]
 *   POST /api/bus/dead-letters/redrive   token  {@link BusRedriveRequest} → {@link RedriveResult}
 *   GET  /api/event-sources                     {@link EventSourceView}[]; 503 EVENT_SOURCES_UNAVAILABLE without `npm start`
 *   POST /api/event-sources/:uuid        token  {@link EventSourceToggle} → {@link EventSourceView}
 *   GET  /api/stack                             {@link StackView}
 *   GET  /api/schemas                           {@link SchemaRegistryView}; 503 SCHEMA_REGISTRY_UNAVAILABLE when no registry answers
 *   GET  /api/schemas/subjects/:subject         {@link SchemaSubjectView}
 *   GET  /api/schemas/subjects/:subject/versions/:version   {@link SchemaVersionView}
 *   GET  /api/schemas/subjects/:subject/compare?from&to     {@link SchemaComparison}
 *   GET  /metrics                               Prometheus text format (prom-client)
 *
 * Errors are `{ error: { code, message } }` with a 4xx or 5xx status; 401 when a token is missing or wrong, 403
 * for a request addressed to another host name than 127.0.0.1 or localhost, 503 when a system does not answer.
 */

import type { InvocationEntry, MappingMetrics, MetricGroup } from '../offline-kafka/stats.ts';

/** The header that carries the per-start token on every request that changes something. */
export const tokenHeader = 'x-console-token';

/** How the page's URL carries the token: `http://127.0.0.1:PORT/#token=...` (a fragment is never sent). */
export const tokenFragment = 'token';

export interface ApiError {
  error: { code: string; message: string };
}

// ---------------------------------------------------------------------------------------------- pipeline

/** One reading of every stage; a stage that could not be read is null (shown as "?"). */
export interface StageCounts {
  fetched: number | null;
  stored: number | null;
  outboxPending: number | null;
  outboxDead: number | null;
  published: number | null;
  /** Consumer lag of the sink's group, per partition of the topic. */
  lag: Array<{ partition: number; lag: number }> | null;
  cassandraRows: number | null;
  /** Records on the dead-letter topic. */
  deadLetters: number | null;
  busPending: number | null;
  busDeadLettered: number | null;
}

/** Per-second rates of the counts that grow. */
export interface StageRates {
  fetched: number | null;
  stored: number | null;
  published: number | null;
  cassandraRows: number | null;
  deadLetters: number | null;
}

/** End-to-end latency from the outbox commit to the Cassandra write, over recently published users. */
export interface Latency {
  p50Ms: number | null;
  p99Ms: number | null;
  samples: number;
}

/** The last error a function logged, with its code. */
export interface FunctionError {
  function: string;
  code: string;
  message: string;
  at: string;
}

export interface LiveSnapshot {
  at: string;
  counts: StageCounts;
  /**
   * When each count was read. The counts are read at a pace that keeps their cost together to 1% of the time
   * (counts.ts), so on large tables they can be older than `at`; absent for a count with no value.
   */
  countedAt: Partial<Record<keyof StageCounts, string>>;
  /** Per second, between each count's last two readings (a paced count keeps its rate until read again). */
  rates: StageRates;
  latency: Latency;
  /** Up to 5 per function, newest first. Empty when the console does not see the functions' logs. */
  errors: FunctionError[];
  /**
   * Whether the console sees the functions' log lines: true under `npm start`, false for `npm run console`
   * on its own, when `errors` stays empty (and `counts.fetched` null: it is counted from those lines too).
   */
  functionLogs: boolean;
  /** Present on the first snapshot of a connection: one point per second, oldest first, up to 15 minutes. */
  history?: Array<{ at: string; counts: StageCounts; rates: StageRates; latency: Latency }>;
}

// ------------------------------------------------------------------------------------------------- kafka

export interface KafkaView {
  brokers: Array<{ nodeId: number; host: string; port: number }>;
  controller: number | null;
  clusterId: string;
  /** The broker's version as the stack knows it (kafkajs does not report it). */
  version: string;
  healthy: boolean;
  topics: TopicView[];
  groups: GroupView[];
  /** The run's sink: its consumer group and the topic it consumes, the group a replay is usually for. */
  sink: { groupId: string; topic: string };
}

export interface TopicView {
  name: string;
  partitions: Array<{
    partition: number;
    leader: number;
    low: string;
    high: string;
    records: number;
    /** The partition's segments on the broker's disk, as DescribeLogDirs reports them; null when unknown. */
    bytes: number | null;
  }>;
  records: number;
  /** The sum of the partitions' bytes; null unless every one is known. */
  bytes: number | null;
}

export interface GroupView {
  groupId: string;
  state: string;
  members: number;
  topics: Array<{
    topic: string;
    partitions: Array<{ partition: number; committed: string; high: string; lag: number }>;
  }>;
}

export type OffsetResetRequest =
  | { topic: string; to: 'earliest' | 'latest' }
  | { topic: string; to: 'timestamp'; timestamp: string };

export interface OffsetResetResult {
  groupId: string;
  topic: string;
  partitions: Array<{ partition: number; offset: string }>;
}

// ---------------------------------------------------------------------------------------------- messages

/** A value shown as JSON when it parses, otherwise as bytes (base64 plus a printable preview). */
export type DecodedValue =
  | { kind: 'json'; json: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; base64: string; preview: string }
  | { kind: 'null' };

export interface MessageView {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: string | null;
  headers: Record<string, string>;
  /** The value, behind the Confluent wire format's header when it has one (see `schema`). */
  value: DecodedValue;
  /**
   * The schema a value in the Confluent wire format names: its registry id, and its version of the run's
   * value subject (`<topic>-value`), null when the registry does not know it as one or cannot be asked. Null
   * for a value without the header (plain JSON).
   */
  schema: { id: number; version: number | null } | null;
  size: number;
}

export interface MessagePage {
  topic: string;
  partition: number;
  /** The first offset of the page, and the offset the next page starts at (null at the end). */
  from: string;
  next: string | null;
  low: string;
  high: string;
  messages: MessageView[];
  /** Why the schema versions of the page are unknown, when the registry could not be asked; else null. */
  registryError: string | null;
}

/** A user found across every hop; a hop where it is not (yet) is null. */
export interface UserTrace {
  id: string;
  usersRaw: { batchId: string; fetchedAt: string; storedAt: string; payload: unknown } | null;
  outbox: {
    state: 'pending' | 'published' | 'dead';
    createdAt: string;
    publishedAt: string | null;
    attempts: number;
    lastError: string | null;
  } | null;
  kafka: { topic: string; partition: number; offset: string | null; timestamp: string | null } | null;
  cassandra: Record<string, unknown> | null;
}

// ------------------------------------------------------------------------------------------ dead letters

export interface DeadLetterView extends MessageView {
  errorType: string | null;
  errorMessage: string | null;
  sourceTopic: string | null;
  sourcePartition: number | null;
  sourceOffset: string | null;
  attempts: number | null;
  failedAt: string | null;
  /** Set when this record was re-driven before (the header the re-drive adds). */
  redriven: boolean;
}

export interface DeadLetterPage {
  topic: string;
  from: string;
  next: string | null;
  low: string;
  high: string;
  deadLetters: DeadLetterView[];
  /** Why the schema versions of the page are unknown, when the registry could not be asked; else null. */
  registryError: string | null;
}

/** Re-drive dead letters (by their offset on the dead-letter topic), optionally with corrected values. */
export interface RedriveRequest {
  offsets: string[] | 'all';
  /** The dead-letter topic's partition the offsets are on (0, the only one the migrations create). */
  partition?: number;
  /** Offset → the value to send instead of the dead letter's own bytes (UTF-8 text). */
  corrections?: Record<string, string>;
}

export interface RedriveResult {
  redriven: number;
  /** Where each went: the source topic and the offset Kafka gave it, or the bus delivery id. */
  targets: Array<{ from: string; topic?: string; partition?: number; offset?: string }>;
}

export interface BusDeadLetter {
  id: string;
  ruleArn: string;
  targetArn: string;
  errorCode: string;
  errorMessage: string;
  attempts: number;
  deadLetteredAt: string;
  detailType: string;
  event: unknown;
}

export interface BusRedriveRequest {
  ids: string[] | 'all';
}

// ---------------------------------------------------------------------------------------- event sources

/** An event-source mapping as AWS's GetEventSourceMapping shows it, plus what the local one measures. */
export interface EventSourceView {
  uuid: string;
  functionName: string;
  topic: string;
  groupId: string;
  state: 'Enabled' | 'Disabled' | 'Enabling' | 'Disabling';
  /** The metric groups the mapping publishes (its `MetricsConfig`); none when it sets none, as on AWS. */
  metricsConfig: MetricGroup[];
  /** AWS's event-source mapping metrics of those groups, as counted since the start (the lags as read now). */
  metrics: MappingMetrics;
  invocations: InvocationView[];
}

/** One invocation as the local event source records it (infra/offline-kafka/stats.ts), without its log text. */
export type InvocationView = Omit<InvocationEntry, 'condition' | 'dropped' | 'detail'>;

export interface EventSourceToggle {
  enabled: boolean;
}

// ------------------------------------------------------------------------------------------------ stack

export interface StackView {
  services: Array<{
    service: string;
    health: 'healthy' | 'unhealthy' | 'stopped';
    version: string;
    pid: number | null;
    port: number;
    uptimeMs: number | null;
    rssBytes: number | null;
    managed: boolean;
  }>;
}

// ---------------------------------------------------------------------------------------------- schemas

/** The Schema Registry: where it is, its default rule and its subjects. */
export interface SchemaRegistryView {
  /** The base URL of its Confluent-compatible API. */
  url: string;
  /** The rule of every subject that has none of its own. */
  defaultCompatibility: string;
  /** Every subject, sorted by name. */
  subjects: string[];
}

/** One subject: its versions and its compatibility rule. */
export interface SchemaSubjectView {
  subject: string;
  /** Oldest first. */
  versions: number[];
  /**
   * The subject's rule as the registry reports it; null when it reports none and the default applies.
   * Apicurio reports the default for a subject without a rule of its own, so the same value as the default
   * may be either.
   */
  compatibility: string | null;
  /** The rule the registry applies to the subject's next version: its own, else the default. */
  effectiveCompatibility: string;
  defaultCompatibility: string;
}

/** One version of a subject, its schema formatted (JSON indented by two spaces; any other text as it is). */
export interface SchemaVersionView {
  subject: string;
  version: number;
  /** The registry-wide id a record in the wire format carries. */
  id: number;
  /** `JSON`, `AVRO` or `PROTOBUF`. */
  schemaType: string;
  schema: string;
}

/**
 * One line of a comparison, in the style of a unified diff with three lines of context: a line both versions
 * have, one only the later has, one only the earlier has, or a run of unchanged lines left out.
 */
export type SchemaDiffLine =
  | { kind: 'same'; text: string; from: number; to: number }
  | { kind: 'added'; text: string; to: number }
  | { kind: 'removed'; text: string; from: number }
  | { kind: 'skipped'; lines: number };

/** What differs between two versions of a subject. */
export interface SchemaComparison {
  subject: string;
  from: SchemaVersionView;
  to: SchemaVersionView;
  /** The fields that differ (infra/schemas/diff.ts); empty when the schemas are not JSON. */
  differences: Array<{ field: string; change: string }>;
  /** The differences on one line, or why there are none. */
  summary: string;
  /** The formatted texts' line diff; empty when they are the same. */
  lines: SchemaDiffLine[];
}
