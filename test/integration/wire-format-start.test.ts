/**
 * The wire format turned on as the docs say (`SCHEMA_REGISTRY_URL=… npm start`), on a private run: the
 * migrations register the run's value subject, serverless-offline gives both Kafka functions the setting
 * through serverless.yml's local stage, publish-users writes every record as byte 0 and the registered id
 * before the JSON, the local event source hands them to sink-users as they are, and sink-users checks each id
 * and writes every user to Cassandra, dead-lettering none.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { publishedSchemaText } from '../../functions/lib/published-schemas.ts';
import { createSchemaRegistry, valueSubject } from '../../functions/lib/registry.ts';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { readAll } from '../helpers/kafka-events.ts';
import { pipelineRun, startPipelineRun } from '../helpers/process.ts';
import {
  cassandraClient,
  createdUserIds,
  dropRun,
  eventually,
  kafkaClient,
  stackConfig,
  uniqueName,
} from '../helpers/stack.ts';

const stack = stackConfig();
const names = pipelineRun(uniqueName('wire_start'));
const fetchTotal = 60;
const kafka = kafkaClient(stack);
const cql = cassandraClient(stack);

afterAll(async () => {
  await cql.shutdown();
  await dropRun({ keyspace: names.keyspace, topics: [names.topic, names.dlq], database: names.database });
});

describe('SCHEMA_REGISTRY_URL=… npm start', () => {
  it('puts every user on the topic in the wire format with the registered id, and in Cassandra', async () => {
    const start = startPipelineRun(names, {
      SCHEMA_REGISTRY_URL: schemaRegistryUrl(stack),
      FETCH_TOTAL: String(fetchTotal),
    });
    try {
      await eventually(
        `${fetchTotal} records on ${names.topic}`,
        async () => {
          const admin = kafka.admin();
          await admin.connect();
          const offsets = await admin.fetchTopicOffsets(names.topic).finally(() => admin.disconnect());
          return offsets.reduce((sum, o) => sum + Number(o.high), 0) >= fetchTotal ? true : undefined;
        },
        150_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n--- npm start said:\n${start.output().slice(-4000)}`);
      });
      const records = await readAll(kafka, names.topic);
      // The schedule may fire again on a minute boundary; whatever is on the topic must reach Cassandra.
      const keys = new Set(records.map((r) => r.key?.toString()));
      const ids = await eventually(
        `the ${keys.size} users of ${names.topic} in ${names.keyspace}.created_users`,
        async () => {
          const found = new Set(await createdUserIds(cql, names.keyspace).catch(() => []));
          return [...keys].every((k) => k !== undefined && found.has(k)) ? found : undefined;
        },
        60_000,
      );
      const registered = await createSchemaRegistry({ url: schemaRegistryUrl(stack) }).find(
        valueSubject(names.topic),
        publishedSchemaText('users-created.value.v1.json'),
      );
      const dead = await readAll(kafka, names.dlq);

      expect(registered, `the migrations registered ${valueSubject(names.topic)}`).toBeDefined();
      expect(records.length).toBeGreaterThanOrEqual(fetchTotal);
      for (const record of records) {
        expect(record.value?.[0]).toBe(0);
        expect(record.value?.readInt32BE(1)).toBe(registered?.id);
      }
      expect(ids.size).toBeGreaterThanOrEqual(fetchTotal);
      expect(dead).toEqual([]);
    } finally {
      await start.interrupt();
    }
  });
});
