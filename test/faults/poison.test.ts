/**
 * Records on the topic that the sink can never store, and a replay of the whole topic. A poison record (not
 * JSON, or JSON that is not a `UserCreated`) must go to the dead-letter topic with its bytes and the `dlq.*`
 * headers, without holding up the valid records around it in its partition. A replay from offset 0, as an
 * operator does after a bug fix or to rebuild a table, must leave Cassandra as it was: every row is a
 * function of its record alone (`toCreatedUserRow`), so writing it again changes nothing.
 */
import type cassandra from 'cassandra-driver';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterHeaders, userCreated } from '../../functions/lib/users-created.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { sinkGroupId } from '../../lib/topology.ts';
import { readAll } from '../helpers/kafka-events.ts';
import { freshUsers } from '../helpers/pipeline.ts';
import { cassandraClient, eventually, kafkaClient } from '../helpers/stack.ts';
import { expectClean, FaultRun } from './harness.ts';

const total = 2000;
const notJson = 'this is not JSON';
const notUserCreated = JSON.stringify({ schemaVersion: 1, type: 'UserCreated', id: 'not-a-uuid' });
let run: FaultRun;
let kafka: Kafka;
let admin: Admin;
let cql: cassandra.Client;

beforeAll(async () => {
  run = await FaultRun.open('fpoison');
  kafka = kafkaClient(run.cfg);
  admin = kafka.admin();
  await admin.connect();
  cql = cassandraClient(run.cfg);
  await run.start();
}, 300_000);

afterAll(async () => {
  await admin?.disconnect();
  await cql?.shutdown();
  await run?.close();
}, 180_000);

/** Every row of the run's `created_users` as CQL's own JSON, sorted: a table's whole content, comparable. */
async function snapshot(): Promise<string[]> {
  const rows: string[] = [];
  const result = await cql.execute(`SELECT JSON * FROM ${run.names.keyspace}.created_users`, [], {
    prepare: true,
    fetchSize: 5000,
  });
  for await (const row of result) rows.push(String(row.get('[json]')));
  return rows.sort();
}

describe('poison records and replay', () => {
  it('poison records go to the dead-letter topic; the valid records around them are stored', async () => {
    await run.fetch('poison', total);
    const [before, after] = freshUsers(2);
    if (!before || !after) throw new Error('no users');
    const batch = { batchId: `${run.names.keyspace}:poison`, fetchedAt: new Date().toISOString() };
    run.expect([before.login.uuid, after.login.uuid]);
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: run.names.topic,
        acks: -1,
        // One partition, so the poison lies between its neighbours in this order; each record keyed as the
        // relay keys it (by user id), so the suite's count of records per key stays one per user.
        messages: [
          { partition: 0, key: before.login.uuid, value: JSON.stringify(userCreated(before, batch)) },
          { partition: 0, key: 'poison-not-json', value: notJson },
          { partition: 0, key: 'poison-not-user-created', value: notUserCreated },
          { partition: 0, key: after.login.uuid, value: JSON.stringify(userCreated(after, batch)) },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    const recovery = performance.now();
    const outcome = await run.settle('poison-records', recovery);
    const dead = await readAll(kafka, run.names.dlq);

    expect(dead.map((r) => r.value?.toString())).toEqual([notJson, notUserCreated]);
    expect(dead.map((r) => r.key?.toString())).toEqual(['poison-not-json', 'poison-not-user-created']);
    for (const record of dead) {
      expect(record.headers[deadLetterHeaders.errorType]?.toString()).toMatch(/^VALUE_/);
      expect(record.headers[deadLetterHeaders.sourceTopic]?.toString()).toBe(run.names.topic);
      expect(record.headers[deadLetterHeaders.sourcePartition]?.toString()).toBe('0');
      expect(record.headers[deadLetterHeaders.sourceOffset]).toBeDefined();
    }
    expectClean(outcome, 2);
  });

  it('a replay of the topic from offset 0 leaves Cassandra unchanged', async () => {
    const rowsBefore = await snapshot();
    expect(await run.stop()).toBe(0);
    // Offsets can be set only for a group without members: the stopped instance's consumer has left it.
    await eventually(
      `${sinkGroupId} to have no members`,
      async () => {
        const { groups } = await admin.describeGroups([sinkGroupId]);
        return groups[0]?.members.length === 0 ? true : undefined;
      },
      60_000,
    );
    const partitions = (await admin.fetchTopicOffsets(run.names.topic)).map((p) => ({
      partition: p.partition,
      offset: '0',
    }));
    await admin.setOffsets({ groupId: sinkGroupId, topic: run.names.topic, partitions });
    const [reset] = await admin.fetchOffsets({ groupId: sinkGroupId, topics: [run.names.topic] });
    const recovery = performance.now();
    await run.start();
    // Waits until the group has no lag again: the whole topic has been delivered to sink-users once more.
    const outcome = await run.settle('replay-from-offset-0', recovery);
    const rowsAfter = await snapshot();
    const dead = await readAll(kafka, run.names.dlq);
    const offsetsOf = (records: typeof dead) =>
      records.map((r) => r.headers[deadLetterHeaders.sourceOffset]?.toString());

    expect(reset?.partitions.map((p) => p.offset)).toEqual(partitions.map(() => '0'));
    expect(outcome.summary.lag?.every((p) => p.lag === 0)).toBe(true);
    expect(rowsBefore).toHaveLength(run.seeded.size);
    expect(rowsAfter).toEqual(rowsBefore);
    // The poison records are replayed too, and the sink dead-letters them again: the dead-letter topic is
    // append-only, so it now holds each of them twice, from the same source offsets (a re-drive of the
    // dead letters must expect that).
    expect(dead.map((r) => r.value?.toString())).toEqual([notJson, notUserCreated, notJson, notUserCreated]);
    expect(offsetsOf(dead.slice(2))).toEqual(offsetsOf(dead.slice(0, 2)));
    expectClean(outcome, 4);
  });
});
