import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { kafkaEvent, kafkaRecord, type RecordSpec } from '../../test/helpers/kafka-records.ts';
import { sampleBatch } from '../../test/helpers/users-created.ts';
import { ValidationError } from '../lib/errors.ts';
import { eventRecords, type KafkaEventRecord, parseKafkaEvent } from '../lib/kafka-event.ts';
import { type User, userSchema } from '../lib/schemas.ts';
import { deadLetterHeaders, toCreatedUserRow, userCreated } from '../lib/users-created.ts';
import { frameValue } from '../lib/wire-format.ts';
import { planSink, rejectionCodes, schemaIdsOf, toDeadLetter } from './core.ts';

const [alice, bob] = fixtureUsers().map((raw) => userSchema.parse(raw));
if (alice === undefined || bob === undefined) throw new Error('the fixture has fewer than two users');

/** The records of an event built from `specs`, as the handler hands them to the core. */
function records(...specs: RecordSpec[]): KafkaEventRecord[] {
  return eventRecords(parseKafkaEvent(kafkaEvent(specs.map(kafkaRecord))));
}

function withId(user: User, id: string): User {
  return { ...user, login: { ...user.login, uuid: id } };
}

describe('planSink', () => {
  it('decodes base64 UTF-8 JSON values into rows, in batch order', () => {
    const batch = records(
      { partition: 0, offset: 7, key: alice.login.uuid, value: userCreated(alice, sampleBatch) },
      { partition: 1, offset: 3, key: bob.login.uuid, value: userCreated(bob, sampleBatch) },
    );

    const plan = planSink(batch);

    expect(plan.rejected).toEqual([]);
    expect(plan.duplicates).toBe(0);
    expect(plan.rows.map((r) => r.row)).toEqual([toCreatedUserRow(alice), toCreatedUserRow(bob)]);
    expect(plan.rows.map((r) => [r.record.partition, r.record.offset])).toEqual([
      [0, 7],
      [1, 3],
    ]);
  });

  it('keeps non-ASCII text byte for byte through base64', () => {
    const user: User = { ...alice, name: { title: 'Mrs', first: 'زهرا', last: 'Vidić-Keçeci' } };
    const batch = records({ offset: 0, value: userCreated(user, sampleBatch) });

    const plan = planSink(batch);

    expect(plan.rows[0]?.row.first_name).toBe('زهرا');
    expect(plan.rows[0]?.row.last_name).toBe('Vidić-Keçeci');
  });

  it.each([
    ['missing', undefined, rejectionCodes.missing, 'invalid users_created-3@42 value: missing'],
    ['empty', Buffer.alloc(0), rejectionCodes.missing, 'invalid users_created-3@42 value: missing'],
    ['not JSON', 'hello, world', rejectionCodes.notJson, 'invalid users_created-3@42 value: not JSON'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), rejectionCodes.notUtf8, 'value: not UTF-8'],
  ])('rejects a value that is %s, saying what and where', (_, value, code, message) => {
    const batch = records({ partition: 3, offset: 42, value });

    const plan = planSink(batch);

    expect(plan.rows).toEqual([]);
    expect(plan.rejected).toHaveLength(1);
    const { error, record } = plan.rejected[0] ?? {};
    expect(error).toBeInstanceOf(ValidationError);
    expect(error?.retryable).toBe(false);
    expect(error?.code).toBe(code);
    expect(error?.message).toContain(message);
    expect(error?.where).toBe('users_created-3@42 value');
    expect(record?.offset).toBe(42);
  });

  it('rejects a value that is not base64', () => {
    const [record] = records({ offset: 1, value: 'x' });
    if (record === undefined) throw new Error('no record');

    const plan = planSink([{ ...record, value: 'not base64!' }]);

    expect(plan.rejected[0]?.error.code).toBe(rejectionCodes.notBase64);
  });

  it('does not quote the value of a non-JSON record in its error', () => {
    const batch = records({ offset: 0, value: 'secret-ish text that is not JSON' });

    const plan = planSink(batch);

    expect(plan.rejected[0]?.error.message).not.toContain('secret-ish');
  });

  it.each([
    ['a wrong type', { ...userCreated(alice, sampleBatch), user: { ...alice, gender: 42 } }, 'user.gender'],
    ['a missing id', { ...userCreated(alice, sampleBatch), id: undefined }, 'id'],
    ['a non-UUID id', { ...userCreated(alice, sampleBatch), id: 'not-a-uuid' }, 'id'],
    ['a wrong schema version', { ...userCreated(alice, sampleBatch), schemaVersion: 2 }, 'schemaVersion'],
    ['no user', { ...userCreated(alice, sampleBatch), user: undefined }, 'user'],
    ['a number as value', '42', ''],
  ])('rejects a value with %s, naming the path', (_, value, path) => {
    const batch = records({ partition: 2, offset: 5, value });

    const plan = planSink(batch);

    expect(plan.rows).toEqual([]);
    const error = plan.rejected[0]?.error;
    expect(error?.code).toBe(rejectionCodes.invalid);
    expect(error?.message).toContain('invalid users_created-2@5 value: ');
    expect(error?.message).toContain(`${path}${path === '' ? '' : ':'}`);
  });

  it('rejects a value whose id differs from user.login.uuid', () => {
    const batch = records({ offset: 0, value: { ...userCreated(alice, sampleBatch), id: randomUUID() } });

    const plan = planSink(batch);

    expect(plan.rows).toEqual([]);
    expect(plan.rejected[0]?.error.message).toContain('id: id must equal user.login.uuid');
  });

  it('drops __proto__ keys without polluting any prototype', () => {
    const json = JSON.stringify(userCreated(alice, sampleBatch))
      .replace('{', '{"__proto__":{"polluted":"top"},')
      .replace('"name":{', '"name":{"__proto__":{"polluted":"name"},');
    const batch = records({ offset: 0, value: json });

    const plan = planSink(batch);

    expect(plan.rejected).toEqual([]);
    const row = plan.rows[0]?.row;
    expect(row).toEqual(toCreatedUserRow(alice));
    expect(Object.hasOwn(row ?? {}, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect('polluted' in {}).toBe(false);
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });

  it('writes one row per id, from the record with the highest offset', () => {
    const id = randomUUID();
    const older = withId({ ...alice, email: 'old@example.com' }, id);
    const newer = withId({ ...alice, email: 'new@example.com' }, id);
    // The last record has a lower offset than the newer one, so position alone would pick the wrong one.
    const batch = records(
      { offset: 10, value: userCreated(older, sampleBatch) },
      { offset: 11, value: userCreated(bob, sampleBatch) },
      { offset: 12, value: userCreated(newer, sampleBatch) },
      { offset: 9, value: userCreated(older, sampleBatch) },
    );

    const plan = planSink(batch);

    expect(plan.duplicates).toBe(2);
    expect(plan.rows.map((r) => [r.row.id, r.row.email, r.record.offset])).toEqual([
      [bob.login.uuid, bob.email, 11],
      [id, 'new@example.com', 12],
    ]);
  });

  it('rejects a user over a limit of the contract with the field and the limit, not the value', () => {
    const hostile: User = { ...alice, name: { ...alice.name, first: 'A'.repeat(200_000) } };
    const batch = records(
      { partition: 1, offset: 5, value: userCreated(hostile, sampleBatch) },
      { partition: 1, offset: 6, value: userCreated(bob, sampleBatch) },
    );

    const plan = planSink(batch);

    expect(plan.rows.map((r) => r.row.id)).toEqual([bob.login.uuid]);
    expect(plan.rejected.map((r) => [r.record.offset, r.error.code, r.error.message])).toEqual([
      [
        5,
        rejectionCodes.invalid,
        'invalid users_created-1@5 value: user.name.first: at most 256 characters, got 200000',
      ],
    ]);
  });

  it('rejects bad records without dropping their good neighbours', () => {
    const batch = records(
      { offset: 0, value: userCreated(alice, sampleBatch) },
      { offset: 1, value: 'garbage' },
      { offset: 2, value: userCreated(bob, sampleBatch) },
    );

    const plan = planSink(batch);

    expect(plan.rows.map((r) => r.row.id)).toEqual([alice.login.uuid, bob.login.uuid]);
    expect(plan.rejected.map((r) => r.record.offset)).toEqual([1]);
  });
});

describe('planSink on values with a schema id', () => {
  const aliceValue = JSON.stringify(userCreated(alice, sampleBatch));
  const bobValue = JSON.stringify(userCreated(bob, sampleBatch));
  // What the registry said: id 7 is version 1 of the subject, id 8 is none of its versions.
  const known = new Map([
    [7, 1],
    [8, undefined],
  ]);

  /** A record as an event source with a schema registry delivers it: no header, the id on the record. */
  function decodedByEventSource(
    offset: number,
    value: string,
    metadata: { dataFormat: string; schemaId?: string },
  ) {
    const [record] = records({ offset, value });
    if (record === undefined) throw new Error('no record');
    return { ...record, valueSchemaMetadata: metadata };
  }

  it('reads plain JSON, the wire format and the event source decoded value alike', () => {
    const carol = withId(alice, randomUUID());
    const batch = [
      ...records({ offset: 1, value: aliceValue }, { offset: 2, value: frameValue(7, bobValue) }),
      decodedByEventSource(3, JSON.stringify(userCreated(carol, sampleBatch)), {
        dataFormat: 'JSON',
        schemaId: '7',
      }),
    ];

    const plan = planSink(batch, known);

    expect(plan.rejected).toEqual([]);
    expect(plan.rows.map((r) => r.row)).toEqual([
      toCreatedUserRow(alice),
      toCreatedUserRow(bob),
      toCreatedUserRow(carol),
    ]);
  });

  it('lists the ids a batch carries once each, from the header or the metadata, for the registry', () => {
    const batch = [
      ...records(
        { offset: 1, value: aliceValue },
        { offset: 2, value: frameValue(7, bobValue) },
        { offset: 3, value: frameValue(7, aliceValue) },
        { offset: 4, value: frameValue(300_000, aliceValue) },
        { offset: 5, value: Buffer.from([0, 0]) },
      ),
      decodedByEventSource(6, aliceValue, { dataFormat: 'JSON', schemaId: '8' }),
      // A Glue schema version's UUID: no Confluent id to ask about.
      decodedByEventSource(7, aliceValue, { dataFormat: 'JSON', schemaId: randomUUID() }),
    ];

    expect(schemaIdsOf(batch).sort((a, b) => a - b)).toEqual([7, 8, 300_000]);
  });

  it('dead-letters an id the registry does not know, and a cut header, keeping the neighbours', () => {
    const batch = [
      ...records(
        { partition: 2, offset: 10, value: frameValue(8, aliceValue) },
        { partition: 2, offset: 11, value: Buffer.from([0, 0, 0]) },
        { partition: 2, offset: 12, value: frameValue(7, bobValue) },
      ),
      decodedByEventSource(13, aliceValue, { dataFormat: 'JSON', schemaId: '8' }),
    ];

    const plan = planSink(batch, known);

    expect(plan.rows.map((r) => r.row.id)).toEqual([bob.login.uuid]);
    expect(plan.rejected.map((r) => [r.record.offset, r.error.code])).toEqual([
      [10, rejectionCodes.unknownSchema],
      [11, rejectionCodes.framing],
      [13, rejectionCodes.unknownSchema],
    ]);
    expect(plan.rejected[0]?.error.message).toBe(
      "invalid users_created-2@10 value: in the wire format with schema id 8, which is no version of the topic's subject in the Schema Registry",
    );
    expect(plan.rejected[1]?.error.message).toContain('fewer than its 5-byte header');
  });

  it('without a registry, reads the wire format and leaves its id unchecked', () => {
    const batch = records({ offset: 1, value: frameValue(8, aliceValue) });

    const plan = planSink(batch);

    expect(plan.rejected).toEqual([]);
    expect(plan.rows.map((r) => r.row)).toEqual([toCreatedUserRow(alice)]);
  });

  it('refuses a value the event source decoded from another format than JSON', () => {
    const batch = [decodedByEventSource(1, aliceValue, { dataFormat: 'AVRO', schemaId: '7' })];

    const plan = planSink(batch, known);

    expect(plan.rejected[0]?.error.code).toBe(rejectionCodes.unsupportedFormat);
  });

  it('validates the JSON behind a known id as any other value', () => {
    const batch = records({ offset: 1, value: frameValue(7, '{"schemaVersion":1}') });

    const plan = planSink(batch, known);

    expect(plan.rejected[0]?.error.code).toBe(rejectionCodes.invalid);
  });
});

describe('toDeadLetter', () => {
  it('keeps the original key, value and headers as bytes and adds the dlq.* headers', () => {
    const value = Buffer.from([0x00, 0xff, 0x7b]);
    const [record] = records({
      partition: 4,
      offset: 99,
      key: 'user-key',
      value,
      headers: { 'batch-id': 'b1', 'dlq.error.type': 'OLD' },
    });
    if (record === undefined) throw new Error('no record');
    const error = new ValidationError('invalid users_created-4@99 value: not UTF-8', 'there', { code: 'X' });

    const dead = toDeadLetter({ record, error }, new Date('2026-02-03T04:05:06.007Z'));

    expect(dead.key).toEqual(Buffer.from('user-key'));
    expect(dead.value).toEqual(value);
    expect(dead.headers).toEqual({
      'batch-id': Buffer.from('b1'),
      [deadLetterHeaders.errorType]: 'X',
      [deadLetterHeaders.errorMessage]: 'invalid users_created-4@99 value: not UTF-8',
      [deadLetterHeaders.sourceTopic]: 'users_created',
      [deadLetterHeaders.sourcePartition]: '4',
      [deadLetterHeaders.sourceOffset]: '99',
      [deadLetterHeaders.attempts]: '1',
      [deadLetterHeaders.failedAt]: '2026-02-03T04:05:06.007Z',
    });
  });

  it('keeps a wire-format value with its header, so a re-drive carries the id again', () => {
    const framed = frameValue(8, JSON.stringify(userCreated(alice, sampleBatch)));
    const [record] = records({ offset: 4, value: framed });
    if (record === undefined) throw new Error('no record');
    const error = new ValidationError('unknown id', 'here', { code: rejectionCodes.unknownSchema });

    const dead = toDeadLetter({ record, error }, new Date(0));

    expect(dead.value).toEqual(framed);
    expect(dead.headers?.[deadLetterHeaders.errorType]).toBe(rejectionCodes.unknownSchema);
  });

  it('keeps a keyless tombstone keyless and valueless', () => {
    const [record] = records({ offset: 1 });
    if (record === undefined) throw new Error('no record');

    const dead = toDeadLetter({ record, error: new ValidationError('m', 'w') }, new Date(0));

    expect(dead.key).toBeNull();
    expect(dead.value).toBeNull();
  });
});
