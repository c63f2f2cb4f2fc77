/**
 * The probe service of test/fixtures/offline-kafka-service, as the offline-kafka tests run it under a real
 * `sls offline start`: one run's topics, ports and log file, the environment that names them, what the probe
 * function logged for each invocation, and the offsets its consumer groups committed.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RecordMetadata } from 'kafkajs';
import { portOpen } from '../../infra/local/proc.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { repoRoot } from '../../lib/paths.ts';
import { createTopic, eventually, stackConfig, uniqueName } from './stack.ts';

export const probeServiceDir = join(repoRoot, 'test', 'fixtures', 'offline-kafka-service');

/** The service, stage and region of the probe service's serverless.yml. */
export const probe = { service: 'offline-kafka-probe', stage: 'probe', region: 'eu-west-1' } as const;

/** The probe functions, by their keys in serverless.yml. */
export type ProbeFunction = 'partial' | 'bisect' | 'timestamp' | 'filtered' | 'pollers';

/** The ports serverless-offline and the event-source-mapping API of one run listen on. */
export interface ProbePorts {
  http: number;
  ws: number;
  lambda: number;
  control: number;
}

/** One invocation, as probe.js logged it. */
export interface ProbeEntry {
  fn: string;
  ids: string[];
  event: unknown;
  partial: unknown[];
  poison?: string;
  started: number;
  ended: number;
}

/** One run of the probe service: its own topics and log file. */
export interface ProbeRun {
  /** The run's unique name, which its topics and files start with. */
  name: string;
  topics: {
    partial: string;
    bisect: string;
    timestamp: string;
    filter: string;
    pollers: string;
    failed: string;
  };
  logFile: string;
  ports: ProbePorts;
  /** What the probe service reads from the environment. */
  env: Record<string, string>;
}

/**
 * A run with unique topic names.
 *
 * @param timestampSeconds - where the AT_TIMESTAMP function starts
 */
export function probeRun(prefix: string, ports: ProbePorts, timestampSeconds: number): ProbeRun {
  const run = uniqueName(prefix);
  const topics = {
    partial: `${run}_partial`,
    bisect: `${run}_bisect`,
    timestamp: `${run}_timestamp`,
    filter: `${run}_filter`,
    pollers: `${run}_pollers`,
    failed: `${run}_failed`,
  };
  const logFile = join(repoRoot, '.local', `${run}.jsonl`);
  const cfg = stackConfig();
  return {
    name: run,
    topics,
    logFile,
    ports,
    env: {
      PROBE_LOG: logFile,
      PROBE_HTTP_PORT: String(ports.http),
      PROBE_WS_PORT: String(ports.ws),
      PROBE_LAMBDA_PORT: String(ports.lambda),
      PROBE_CONTROL_PORT: String(ports.control),
      PROBE_BROKERS: `${cfg.kafka.host}:${cfg.kafka.port}`,
      PROBE_TOPIC_PARTIAL: topics.partial,
      PROBE_TOPIC_BISECT: topics.bisect,
      PROBE_TOPIC_TIMESTAMP: topics.timestamp,
      PROBE_TOPIC_FILTER: topics.filter,
      PROBE_TOPIC_POLLERS: topics.pollers,
      PROBE_TOPIC_FAILED: topics.failed,
      PROBE_TIMESTAMP_SECONDS: String(timestampSeconds),
    },
  };
}

/**
 * Creates the run's topics (the timestamp topic with two partitions, the pollers one with three, the others
 * with one) and the folder of
 * its log file (.local, which a fresh clone or worktree does not have yet).
 */
export async function prepareProbeRun(run: ProbeRun): Promise<void> {
  mkdirSync(dirname(run.logFile), { recursive: true });
  await Promise.all(
    Object.entries(run.topics).map(([name, topic]) =>
      createTopic(topic, name === 'timestamp' ? 2 : name === 'pollers' ? 3 : 1),
    ),
  );
}

/** The deployed name of a probe function, which is also its consumer group. */
export function probeFunctionName(fn: ProbeFunction): string {
  return `${probe.service}-${probe.stage}-${fn}`;
}

/** Every invocation of `fn` the probe logged so far, in order. */
export function probeEntries(run: ProbeRun, fn: ProbeFunction): ProbeEntry[] {
  return loggedInvocations(run.logFile, probeFunctionName(fn));
}

/** Every invocation of the function named `functionName` in a probe log (JSON lines), in order. */
export function loggedInvocations(logFile: string, functionName: string): ProbeEntry[] {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ProbeEntry)
    .filter((entry) => entry.fn === functionName);
}

/** Resolves once nothing listens on any of `ports` on 127.0.0.1 any more (a stopped probe service). */
export async function portsFreed(ports: object): Promise<void> {
  await eventually('the probe service to free its ports', async () =>
    (await Promise.all((Object.values(ports) as number[]).map((p) => portOpen('127.0.0.1', p)))).some(Boolean)
      ? undefined
      : true,
  );
}

/** Offsets the function's consumer group committed, per partition. */
export async function committedOffsets(
  kafka: Kafka,
  fn: ProbeFunction,
  topic: string,
): Promise<Map<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId: probeFunctionName(fn), topics: [topic] });
    return new Map((result?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Produces records with acks=all. */
export async function sendProbeRecords(
  kafka: Kafka,
  topic: string,
  messages: Array<{
    value: string;
    key?: string;
    partition?: number;
    timestamp?: number;
    headers?: Record<string, string>;
  }>,
): Promise<RecordMetadata[]> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    return await producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({
        key: m.key ?? null,
        value: m.value,
        ...(m.partition === undefined ? {} : { partition: m.partition }),
        ...(m.timestamp === undefined ? {} : { timestamp: String(m.timestamp) }),
        ...(m.headers ? { headers: m.headers } : {}),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}
