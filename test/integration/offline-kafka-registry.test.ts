/**
 * offline-kafka's schema registry step under a real `sls offline start`, against the stack's Kafka and
 * Apicurio registry (test/fixtures/offline-kafka-registry-service). One topic of the run's holds records in
 * the Confluent wire format with the id registered for the run's own subject (some that the filter keeps, one
 * it does not, one its schema refuses), one framed with an id the registry never gave out, and one in plain
 * JSON. Two mappings read it: `registryJson` (JSON, a filter on the decoded value, a kafka:// on-failure
 * destination) and `registrySource` (SOURCE, no destination). Each must get exactly the valid records in its
 * format with their schema metadata, the rejected ones must go to the destination (or be dropped) and be
 * counted, and both groups must commit to the end of the topic: nothing lost, nothing delivered twice. A third,
 * `registryDown`, names a registry that never answers: it must deliver, drop and commit nothing.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaConsumer, SchemaType } from '@aws-lambda-powertools/kafka';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRecords, parseKafkaEvent } from '../../functions/lib/kafka-event.ts';
import { createSchemaRegistry } from '../../functions/lib/registry.ts';
import { frameValue } from '../../functions/lib/wire-format.ts';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { failureHeaders } from '../../infra/offline-kafka/destination.ts';
import { mappingUuid } from '../../infra/offline-kafka/mapping.ts';
import type { LocalStats } from '../../infra/offline-kafka/stats.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { repoRoot } from '../../lib/paths.ts';
import { readAll } from '../helpers/kafka-events.ts';
import { loggedInvocations, type ProbeEntry, portsFreed } from '../helpers/offline-kafka-probe.ts';
import { type GroupProcess, startGroup } from '../helpers/process.ts';
import {
  closedPort,
  createTopic,
  eventually,
  kafkaClient,
  stackConfig,
  uniqueName,
} from '../helpers/stack.ts';

const serviceDir = join(repoRoot, 'test', 'fixtures', 'offline-kafka-registry-service');
const service = { name: 'offline-kafka-registry-probe', stage: 'probe' } as const;
type Fn = 'registryJson' | 'registrySource' | 'registryDown';
const functionName = (fn: Fn) => `${service.name}-${service.stage}-${fn}`;

const cfg = stackConfig();
const registryUrl = schemaRegistryUrl(cfg);
const name = uniqueName('okreg');
const topic = `${name}_users`;
const failedTopic = `${name}_failed`;
const subject = `${topic}-value`;
const logFile = join(repoRoot, '.local', `${name}.jsonl`);
const ports = { http: 3230, ws: 3231, lambda: 3232, control: 3233 };

const schema = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: ['keep', 'skip'] },
    n: { type: 'integer' },
  },
  required: ['id', 'kind', 'n'],
  additionalProperties: false,
});

/** Valid values, as the producer wrote their JSON (spaced, so JSON and SOURCE deliveries differ). */
const valid = [
  { id: '0b7a3f1e-2d4c-4e8a-9f6b-1c2d3e4f5a60', kind: 'keep', n: 0 },
  { id: '0b7a3f1e-2d4c-4e8a-9f6b-1c2d3e4f5a61', kind: 'skip', n: 1 },
  { id: '0b7a3f1e-2d4c-4e8a-9f6b-1c2d3e4f5a62', kind: 'keep', n: 2 },
];
const sourceText = (v: object) => JSON.stringify(v, null, 1);

let kafka: Kafka;
let offline: GroupProcess;
let schemaId: number;
/** Offsets of the records as produced, by what they are. */
const offsets: Record<string, number> = {};

function entries(fn: Fn): ProbeEntry[] {
  return loggedInvocations(logFile, functionName(fn));
}

async function localStats(fn: Fn): Promise<LocalStats> {
  const uuid = mappingUuid(service.name, service.stage, fn, topic);
  const res = await fetch(
    `http://127.0.0.1:${ports.control}/2015-03-31/event-source-mappings/${uuid}/local-stats`,
  );
  if (!res.ok) throw new Error(`local-stats answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as LocalStats;
}

async function committed(fn: Fn): Promise<number | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId: functionName(fn), topics: [topic] });
    const offset = Number(result?.partitions[0]?.offset);
    return offset >= 0 ? offset : undefined;
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  kafka = kafkaClient(cfg);
  mkdirSync(join(repoRoot, '.local'), { recursive: true });
  await Promise.all([createTopic(topic, 1, cfg), createTopic(failedTopic, 1, cfg)]);
  const downUrl = `http://127.0.0.1:${await closedPort()}`;
  schemaId = (await createSchemaRegistry({ url: registryUrl }).register(subject, schema)).id;

  const producer = kafka.producer();
  await producer.connect();
  const messages: Array<[string, Buffer]> = [
    ['valid0', frameValue(schemaId, sourceText(valid[0] as object))],
    ['unknownId', frameValue(0x7ffffff0, sourceText(valid[0] as object))],
    ['valid1', frameValue(schemaId, sourceText(valid[1] as object))],
    ['plain', Buffer.from(JSON.stringify(valid[0]))],
    ['refused', frameValue(schemaId, JSON.stringify({ id: 'not-a-uuid', kind: 'keep', n: 3 }))],
    ['valid2', frameValue(schemaId, sourceText(valid[2] as object))],
  ];
  try {
    const [sent] = await producer.send({
      topic,
      acks: -1,
      messages: messages.map(([key, value]) => ({ key, value })),
    });
    messages.forEach(([key], i) => {
      offsets[key] = Number(sent?.baseOffset) + i;
    });
  } finally {
    await producer.disconnect();
  }

  offline = startGroup(join(repoRoot, 'node_modules', '.bin', 'sls'), ['offline', 'start'], {
    cwd: serviceDir,
    env: {
      PROBE_LOG: logFile,
      PROBE_HTTP_PORT: String(ports.http),
      PROBE_WS_PORT: String(ports.ws),
      PROBE_LAMBDA_PORT: String(ports.lambda),
      PROBE_CONTROL_PORT: String(ports.control),
      PROBE_BROKERS: `${cfg.kafka.host}:${cfg.kafka.port}`,
      PROBE_TOPIC: topic,
      PROBE_TOPIC_FAILED: failedTopic,
      PROBE_REGISTRY_URL: registryUrl,
      PROBE_REGISTRY_DOWN_URL: downUrl,
    },
  });
  await eventually(
    'both event sources to commit to the end of the topic',
    async () =>
      (await committed('registryJson')) === 6 && (await committed('registrySource')) === 6 ? true : undefined,
    120_000,
  );
}, 180_000);

afterAll(async () => {
  const code = await offline?.interrupt();
  expect(code).toBe(0);
  await portsFreed(ports);
});

describe('offline-kafka with schemaRegistryConfig', () => {
  it('delivers JSON: the decoded values the filter keeps, re-serialized, with their schema metadata', async () => {
    const events = entries('registryJson').map((e) => parseKafkaEvent(e.event));
    const records = events.flatMap(eventRecords);

    expect(records.map((r) => r.offset)).toEqual([offsets.valid0, offsets.valid2]);
    for (const [i, record] of records.entries()) {
      const expected = [valid[0], valid[2]][i];
      expect(Buffer.from(record.value ?? '', 'base64').toString()).toBe(JSON.stringify(expected));
      expect(record.valueSchemaMetadata).toEqual({ dataFormat: 'JSON', schemaId: String(schemaId) });
      expect(record).not.toHaveProperty('keySchemaMetadata');
    }

    // The Powertools consumer with its JSON schema type decodes what the function received.
    const seen: unknown[] = [];
    const handler = kafkaConsumer(
      async (event) => {
        for (const record of event.records) seen.push(record.value);
      },
      { value: { type: SchemaType.JSON } },
    );
    for (const entry of entries('registryJson')) await handler(entry.event as never, {} as Context);
    expect(seen).toEqual([valid[0], valid[2]]);
  });

  it('delivers SOURCE: every valid record’s bytes after the 5-byte header, unfiltered', async () => {
    const records = entries('registrySource').flatMap((e) => eventRecords(parseKafkaEvent(e.event)));

    expect(records.map((r) => r.offset)).toEqual([offsets.valid0, offsets.valid1, offsets.valid2]);
    expect(records.map((r) => Buffer.from(r.value ?? '', 'base64').toString())).toEqual(
      valid.map(sourceText),
    );
    expect(records.map((r) => r.valueSchemaMetadata?.schemaId)).toEqual(valid.map(() => String(schemaId)));
  });

  it("hands the records that fail validation to the on-failure destination, as they were, with AWS's reason code", async () => {
    const failed = await readAll(kafka, failedTopic);
    const byKey = new Map(failed.map((r) => [r.key?.toString(), r]));
    const conditions = Object.fromEntries(
      failed.map((r) => [r.key?.toString(), r.headers[failureHeaders.condition]?.toString()]),
    );

    expect(conditions).toEqual({
      plain: 'DESERIALIZATION_ERROR',
      refused: 'DESERIALIZATION_ERROR',
      unknownId: 'SCHEMA_NOT_FOUND',
    });
    expect(byKey.get('plain')?.value?.toString()).toBe(JSON.stringify(valid[0]));
    expect(byKey.get('unknownId')?.value).toEqual(frameValue(0x7ffffff0, sourceText(valid[0] as object)));
    expect(byKey.get('unknownId')?.headers[failureHeaders.errorMessage]?.toString()).toBe(
      `value schema id ${0x7ffffff0} is unknown to the registry`,
    );
    expect(byKey.get('refused')?.headers[failureHeaders.errorMessage]?.toString()).toMatch(
      new RegExp(`^value fails schema ${schemaId} at .*id`),
    );
    expect(byKey.get('plain')?.headers[failureHeaders.source]?.toString()).toBe(
      `${topic}-0@${offsets.plain}`,
    );
  });

  it('counts each rejected record in SchemaRegistryErrorCount, and drops them where there is no destination', async () => {
    const json = await localStats('registryJson');
    const source = await localStats('registrySource');

    expect(json.metrics).toMatchObject({
      PolledEventCount: 6,
      FilteredOutEventCount: 1,
      OnFailureDestinationDeliveredEventCount: 3,
      SchemaRegistryErrorCount: 3,
    });
    expect(source.metrics).toMatchObject({
      PolledEventCount: 6,
      DroppedEventCount: 3,
      SchemaRegistryErrorCount: 3,
    });
    expect(offline.output()).toMatch(
      /registrySource .* 1 record @\d+ in \d+ ms: (DESERIALIZATION_ERROR|SCHEMA_NOT_FOUND): DISCARDED/,
    );
  });

  it('holds the records while the registry does not answer: none delivered, dropped or committed', async () => {
    const stats = await localStats('registryDown');

    expect(entries('registryDown')).toEqual([]);
    // The starting position may commit offset 0 for a new group; nothing may move past the first record.
    expect((await committed('registryDown')) ?? 0).toBe(0);
    expect(stats.metrics?.SchemaRegistryErrorCount).toBeGreaterThan(0);
    expect(stats.metrics).toMatchObject({ DroppedEventCount: 0, OnFailureDestinationDeliveredEventCount: 0 });
    expect(offline.output()).toMatch(
      /registryDown: schema registry at http:\/\/127\.0\.0\.1:\d+ did not answer: .*; retrying/,
    );
  });
});
