/**
 * The wire format is `npm start`'s default, as on AWS: on a private run, the migrations register the run's
 * value subject, serverless.yml's local stage gives both Kafka functions the stack's registry, publish-users
 * writes every record as byte 0 and the registered id before the JSON, the local event source hands them to
 * sink-users as they are, and sink-users checks each id and writes every user to Cassandra, dead-lettering
 * none. `SCHEMA_REGISTRY_URL=` (empty) turns it off: plain JSON, every user still in Cassandra.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { publishedSchemaText } from '../../functions/lib/published-schemas.ts';
import { createSchemaRegistry, valueSubject } from '../../functions/lib/registry.ts';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { type ReadRecord, readAll } from '../helpers/kafka-events.ts';
import { type PipelineRun, pipelineRun, startPipelineRun } from '../helpers/process.ts';
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
const fetchTotal = 60;
const kafka = kafkaClient(stack);
const cql = cassandraClient(stack);
const runs: PipelineRun[] = [];

afterAll(async () => {
  await cql.shutdown();
  for (const names of runs) {
    await dropRun({ keyspace: names.keyspace, topics: [names.topic, names.dlq], database: names.database });
  }
});

/**
 * Runs `npm start` on a private run with `env` until the first fetch's users are on the topic and every user
 * on it is in Cassandra; returns the topic's records, the dead letters and the users in Cassandra.
 */
async function startUntilSunk(
  names: PipelineRun,
  env: Record<string, string>,
): Promise<{ records: ReadRecord[]; dead: ReadRecord[]; ids: Set<string>; output: string }> {
  runs.push(names);
  const start = startPipelineRun(names, { FETCH_TOTAL: String(fetchTotal), ...env });
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
    return { records, dead: await readAll(kafka, names.dlq), ids, output: start.output() };
  } finally {
    await start.interrupt();
  }
}

describe('npm start', () => {
  it('puts every user on the topic in the wire format with the registered id by default, and in Cassandra', async () => {
    const names = pipelineRun(uniqueName('wire_start'));

    const { records, dead, ids, output } = await startUntilSunk(names, {});

    const registered = await createSchemaRegistry({ url: schemaRegistryUrl(stack) }).find(
      valueSubject(names.topic),
      publishedSchemaText('users-created.value.v1.json'),
    );
    expect(output).toContain(
      `values on ${names.topic}: Confluent wire format, schema ids from ${schemaRegistryUrl(stack)}`,
    );
    expect(registered, `the migrations registered ${valueSubject(names.topic)}`).toBeDefined();
    expect(records.length).toBeGreaterThanOrEqual(fetchTotal);
    for (const record of records) {
      expect(record.value?.[0]).toBe(0);
      expect(record.value?.readInt32BE(1)).toBe(registered?.id);
    }
    expect(ids.size).toBeGreaterThanOrEqual(fetchTotal);
    expect(dead).toEqual([]);
  });

  it('writes plain JSON with `SCHEMA_REGISTRY_URL=` (empty), and every user still reaches Cassandra', async () => {
    const names = pipelineRun(uniqueName('plain_start'));

    const { records, dead, ids, output } = await startUntilSunk(names, { SCHEMA_REGISTRY_URL: '' });

    expect(output).toContain(`values on ${names.topic}: plain JSON (SCHEMA_REGISTRY_URL is empty)`);
    expect(records.length).toBeGreaterThanOrEqual(fetchTotal);
    for (const record of records) {
      expect(JSON.parse(record.value?.toString() ?? '')).toMatchObject({ type: 'UserCreated' });
    }
    expect(ids.size).toBeGreaterThanOrEqual(fetchTotal);
    expect(dead).toEqual([]);
  });
});
