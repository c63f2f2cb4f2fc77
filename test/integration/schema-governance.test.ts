/**
 * The Schema Registry governs the `users_created` value (issue 16, item 2), against the stack's registry:
 * the migrations registered the published schema as `users_created-value` with a BACKWARD (or stricter) rule,
 * and registering it again changes nothing; the zod schema as it is now passes the registry's compatibility
 * check, and a breaking variant fails it with the field named; a compatible version 2 (one optional field
 * added), registered on a subject of this run's, flows end to end: a producer writes v2 records to a topic of
 * this run's, and sink-users as it is today (a v1 consumer) writes them to Cassandra.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import cassandra from 'cassandra-driver';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCassandraClient } from '../../functions/lib/cassandra.ts';
import { config as defaults } from '../../functions/lib/config.ts';
import { createKafka, createRecordSender } from '../../functions/lib/kafka.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import { renderSchema } from '../../functions/lib/published-schemas.ts';
import {
  backwardOrStricter,
  type CompatibilityReport,
  createSchemaRegistry,
  valueSubject,
} from '../../functions/lib/registry.ts';
import { type User, userSchema } from '../../functions/lib/schemas.ts';
import type { Config } from '../../functions/lib/settings.ts';
import {
  createdUserColumns,
  toCreatedUserRow,
  userCreated,
  userCreatedSchema,
} from '../../functions/lib/users-created.ts';
import { createHandler } from '../../functions/sink-users/app.ts';
import { createUserSink } from '../../functions/sink-users/sink.ts';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { migrate, usersCreatedSchemaFile } from '../../infra/migrations/migrate.ts';
import { describeDifferences, schemaDifferences } from '../../infra/schemas/diff.ts';
import { fixtureUsers } from '../helpers/fixtures.ts';
import { readAll, toLambdaEvents } from '../helpers/kafka-events.ts';
import {
  cassandraClient,
  createTopic,
  kafkaClient,
  produce,
  stackConfig,
  uniqueName,
} from '../helpers/stack.ts';
import { sampleBatch } from '../helpers/users-created.ts';

const stack = stackConfig();
const registry = createSchemaRegistry({ url: schemaRegistryUrl(stack) });
const subject = valueSubject(stack.pipeline.topic);
const publishedText = readFileSync(usersCreatedSchemaFile, 'utf8');
const published: unknown = JSON.parse(publishedText);
const head = z.object({ $id: z.string(), title: z.string() }).parse(published);

/** A variant of the `users_created` value, rendered as `npm run schemas` renders the published file. */
function rendered(schema: z.ZodType): string {
  return renderSchema(schema, head);
}

/**
 * The registry's verdict on `schema` as the next version of `on`, and, when it refuses it, a message that
 * names each field that differs from the latest version (the registry's own answer names none).
 */
async function verdict(on: string, schema: string): Promise<CompatibilityReport & { explanation: string }> {
  const report = await registry.checkCompatibility(on, schema);
  if (report.compatible) return { ...report, explanation: '' };
  const latest = await registry.latest(on);
  const rule = await registry.compatibility(on);
  const fields = describeDifferences(
    schemaDifferences(JSON.parse(latest?.schema ?? '{}'), JSON.parse(schema)),
  );
  return {
    ...report,
    explanation:
      `the registry (${on}, ${rule ?? 'no rule'}) refuses this users_created schema as its next version: ` +
      `${fields}${report.messages.length > 0 ? ` (${report.messages.join('; ')})` : ''}`,
  };
}

describe('the users_created value in the Schema Registry', () => {
  it('is registered by the migrations from events/schemas under a BACKWARD or stricter rule', async () => {
    const found = await registry.find(subject, publishedText);
    const rule = await registry.compatibility(subject);

    expect(found, `${subject} does not hold ${usersCreatedSchemaFile}`).toBeDefined();
    expect(rule !== undefined && backwardOrStricter.has(rule), `${subject}'s rule is ${rule}`).toBe(true);
  });

  it('accepts the zod schema as it is now (a change it would refuse fails here, naming the field)', async () => {
    const { compatible, explanation } = await verdict(subject, rendered(userCreatedSchema));

    expect(compatible, explanation).toBe(true);
  });

  it('refuses a changed type and a removed field, and the message names each field', async () => {
    const { shape } = userCreatedSchema;
    const typeChanged = z.object({ ...shape, batchId: z.number() });
    const fieldRemoved = z.object({ ...shape, user: shape.user.omit({ cell: true }) });

    const changed = await verdict(subject, rendered(typeChanged));
    const removed = await verdict(subject, rendered(fieldRemoved));

    expect(changed.compatible).toBe(false);
    expect(changed.explanation).toContain('batchId: type "string" -> "number"');
    expect(removed.compatible).toBe(false);
    expect(removed.explanation).toContain('user.cell: removed');
  });

  it('registers nothing new when the migration runs again: same version, same id', async () => {
    const topic = uniqueName('it_registry_idem');
    const options = { config: stack, kafka: { topics: [{ topic, numPartitions: 1 }] } };

    const first = await migrate(['registry'], options);
    const second = await migrate(['registry'], options);

    expect(first.registry).toMatchObject({
      subject: valueSubject(topic),
      action: 'registered',
      version: 1,
      compatibility: 'BACKWARD',
    });
    expect(first.changed).toBe(true);
    expect(second.registry).toMatchObject({ action: 'present', version: 1, compatibility: 'BACKWARD' });
    expect(second.registry?.action !== 'skipped' && second.registry?.id).toBe(
      first.registry?.action !== 'skipped' && first.registry?.id,
    );
    expect(second.changed).toBe(false);
  });
});

describe('a compatible version 2 (one optional field added)', () => {
  const config: Config = {
    ...defaults,
    kafka: { brokers: [`${stack.kafka.host}:${stack.kafka.port}`], clientId: 'schema-governance-it' },
    cassandra: {
      contactPoints: [`${stack.cassandra.host}:${stack.cassandra.port}`],
      localDataCenter: stack.cassandra.localDataCenter,
      keyspace: defaults.cassandra.keyspace,
    },
  };
  const cassandraForSink = createCassandraClient(config);
  const deadLetters = createRecordSender(createKafka(config));
  const reader = cassandraClient(stack, config.cassandra.keyspace);
  const kafka = kafkaClient(stack);

  afterAll(async () => {
    await Promise.allSettled([cassandraForSink.shutdown(), deadLetters.disconnect(), reader.shutdown()]);
  });

  // The v2 of the value: where the user came from, optional, so every v1 value is a v2 value too.
  const v2Schema = z.object({
    ...userCreatedSchema.shape,
    source: z.string().min(1).max(64).optional(),
  });

  it('is registered, and its records are read by sink-users as it is today (v1) into Cassandra', async () => {
    const topic = uniqueName('it_schema_v2');
    const v2Subject = valueSubject(topic);
    await createTopic(topic, 2, stack);
    const v1 = await migrate(['registry'], {
      config: stack,
      kafka: { topics: [{ topic, numPartitions: 2 }] },
    });
    const users: User[] = fixtureUsers()
      .slice(0, 5)
      .map((raw) => {
        const user = userSchema.parse(raw);
        return { ...user, login: { ...user.login, uuid: randomUUID() } };
      });

    // The producer side: v2 is checked and registered, and each value is validated against the registry's v2.
    const check = await verdict(v2Subject, rendered(v2Schema));
    const { id: v2Id } = await registry.register(v2Subject, rendered(v2Schema));
    const latest = await registry.latest(v2Subject);
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    const validateV2 = ajv.compile(JSON.parse(await registry.schemaById(v2Id)));
    const values = users.map((user) => ({ ...userCreated(user, sampleBatch), source: 'randomuser.me' }));
    for (const value of values) expect(validateV2(value), ajv.errorsText(validateV2.errors)).toBe(true);
    await produce(
      kafka,
      topic,
      values.map((value) => ({ key: value.id, value: JSON.stringify(value) })),
    );

    // The consumer side: sink-users' handler over the real Cassandra sink, with v1's parsing.
    const records = await readAll(kafka, topic);
    const handler = createHandler({
      config: { topics: { usersCreated: topic, deadLetter: uniqueName('it_schema_v2_dlq') } },
      logger: createLogger('sink-users', { level: 'SILENT', stage: 'local' }),
      sink: createUserSink(cassandraForSink, config),
      deadLetters,
      now: () => new Date(),
    });
    let written = 0;
    let deadLettered = 0;
    for (const event of toLambdaEvents(records)) {
      const result = await handler(event);
      written += result.written;
      deadLettered += result.deadLettered;
    }
    const rows = await reader.execute(
      `SELECT ${createdUserColumns.join(', ')} FROM created_users WHERE id IN ?`,
      [users.map((u) => u.login.uuid)],
      { prepare: true },
    );
    const stored = new Map(
      rows.rows.map((row) => [
        String(row.get('id')),
        Object.fromEntries(
          createdUserColumns.map((column) => {
            const value: unknown = row.get(column);
            return [column, value instanceof cassandra.types.Uuid ? value.toString() : value];
          }),
        ),
      ]),
    );

    expect(v1.registry).toMatchObject({ action: 'registered', version: 1, compatibility: 'BACKWARD' });
    expect(check.compatible, check.explanation).toBe(true);
    expect(latest).toMatchObject({ version: 2, id: v2Id });
    expect(records).toHaveLength(users.length);
    expect({ written, deadLettered }).toEqual({ written: users.length, deadLettered: 0 });
    for (const user of users) expect(stored.get(user.login.uuid)).toEqual(toCreatedUserRow(user));
  });

  it('is refused by a consumer that validates strictly with the v1 JSON Schema, which is closed', async () => {
    // BACKWARD promises that v2 reads v1's data, not the reverse: the published v1 says
    // `additionalProperties: false`, so a v1 validator refuses the new field, while sink-users' zod parsing
    // (and the Spark job's check) drop unknown keys and read it.
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    const validateV1 = ajv.compile(JSON.parse(publishedText));
    const user = userSchema.parse(fixtureUsers()[0]);
    const value = { ...userCreated(user, sampleBatch), source: 'randomuser.me' };

    expect(validateV1(value)).toBe(false);
    expect(ajv.errorsText(validateV1.errors)).toContain('must NOT have additional properties');
    expect(userCreatedSchema.safeParse(value).success).toBe(true);
  });
});
