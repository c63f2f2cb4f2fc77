import { describe, expect, it } from 'vitest';
import { outboxMessage, sampleBatch, sampleUser } from '../../test/helpers/users-created.ts';
import { userCreated } from '../lib/users-created.ts';
import {
  buildRecord,
  chunkRecords,
  describeTrigger,
  nextStep,
  type PlannedRecord,
  planBatch,
  recordSizeBound,
} from './core.ts';

const id = '0b7d8a3e-4a59-4f0e-9d3c-6a1f2b3c4d5e';
const otherId = '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';

describe('buildRecord', () => {
  it('keys the record by user id, sends the payload text as is, and sets the four headers', () => {
    // An outbox id other than the user id, to tell the key from the outbox-id header.
    const message = {
      ...outboxMessage(id, userCreated(sampleUser(id), { ...sampleBatch, batchId: 'seed:7' })),
      id: otherId,
    };

    const built = buildRecord(message);

    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.record.outboxId).toBe(otherId);
    expect(built.record.record.key).toBe(id);
    expect(built.record.record.value).toBe(message.payload);
    expect(built.record.record.headers).toEqual({
      'batch-id': 'seed:7',
      'fetched-at': '2026-01-01T00:00:00.000Z',
      'event-type': 'UserCreated',
      'outbox-id': otherId,
    });
    expect(built.record.bytes).toBe(recordSizeBound(built.record.record));
  });

  it('rejects a payload that fails the UserCreated schema, saying where', () => {
    const { email: _email, ...user } = sampleUser(id);
    const message = outboxMessage(id, { ...userCreated(sampleUser(id), sampleBatch), user });

    const built = buildRecord(message);

    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(built.dead.id).toBe(id);
    expect(built.dead.error).toContain(`outbox row ${id} payload`);
    expect(built.dead.error).toContain('user.email');
  });

  it('rejects a payload that is not JSON', () => {
    const message = { ...outboxMessage(id), payload: '{"schemaVersion":' };

    const built = buildRecord(message);

    expect(built).toEqual({ ok: false, dead: { id, error: `invalid outbox row ${id} payload: not JSON` } });
  });

  it('rejects a payload whose id is not the row aggregate id, since the key would lie', () => {
    const message = { ...outboxMessage(id), aggregateId: otherId };

    const built = buildRecord(message);

    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(built.dead.error).toContain(`differs from aggregateid ${otherId}`);
  });

  it('with a schema id, frames the payload text in the wire format and counts the header in its size', () => {
    const message = outboxMessage(id);
    const plain = buildRecord(message);

    const built = buildRecord(message, 258);

    expect(built.ok && plain.ok).toBe(true);
    if (!built.ok || !plain.ok) return;
    const value = built.record.record.value;
    expect(Buffer.isBuffer(value)).toBe(true);
    expect([...Buffer.from(value).subarray(0, 5)]).toEqual([0, 0, 0, 1, 2]);
    expect(Buffer.from(value).subarray(5).toString('utf8')).toBe(message.payload);
    expect(built.record.bytes).toBe(plain.record.bytes + 5);
  });
});

describe('recordSizeBound', () => {
  it('counts UTF-8 bytes of key, value and headers plus the worst-case varint overhead', () => {
    const record = { key: 'k', value: 'é', headers: { h: 'v', hh: '' } };

    const bytes = recordSizeBound(record);

    // 36 per record + key 1 + value 2 (é is two bytes) + 2 headers of 10 each + 'h','v','hh'.
    expect(bytes).toBe(36 + 1 + 2 + 10 + 2 + 10 + 2);
  });
});

describe('planBatch', () => {
  const built = buildRecord(outboxMessage(id));
  if (!built.ok) throw new Error('fixture must be valid');
  const exactLimit = 61 + built.record.bytes;

  it('sends a record whose batch is exactly at the size limit', () => {
    const plan = planBatch([outboxMessage(id)], exactLimit);

    expect(plan.dead).toEqual([]);
    expect(plan.records.map((r) => r.outboxId)).toEqual([id]);
  });

  it('marks a record one byte over the size limit dead before sending, keeping its neighbours', () => {
    const big = outboxMessage(otherId, userCreated(sampleUser(otherId, { pad: 1 }), sampleBatch));

    const plan = planBatch([outboxMessage(id), big], exactLimit);

    expect(plan.records.map((r) => r.outboxId)).toEqual([id]);
    expect(plan.dead).toEqual([{ id: otherId, error: expect.stringMatching(/^record too large for Kafka/) }]);
    expect(plan.dead[0]?.error).toContain(`over the limit of ${exactLimit} bytes`);
  });

  it('marks an invalid payload dead and plans its valid neighbours in order', () => {
    const third = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    const invalid = outboxMessage(otherId, {
      ...userCreated(sampleUser(otherId), sampleBatch),
      schemaVersion: 2,
    });

    const plan = planBatch([outboxMessage(id), invalid, outboxMessage(third)], 1_048_000);

    expect(plan.records.map((r) => r.outboxId)).toEqual([id, third]);
    expect(plan.dead.map((d) => d.id)).toEqual([otherId]);
    expect(plan.dead[0]?.error).toContain('schemaVersion');
  });
});

describe('chunkRecords', () => {
  const planned = (outboxId: string, bytes: number): PlannedRecord => ({
    outboxId,
    record: { key: outboxId, value: '', headers: {} },
    bytes,
  });

  it('fills each request up to the limit, batch header included, in order', () => {
    const records = [planned('a', 400), planned('b', 400), planned('c', 139), planned('d', 1)];

    const chunks = chunkRecords(records, 1000);

    expect(chunks.map((c) => c.map((r) => r.outboxId))).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('returns no request for no records', () => {
    expect(chunkRecords([], 1000)).toEqual([]);
  });
});

describe('nextStep', () => {
  const base = { limit: 500, remainingMs: 60_000, marginMs: 5_000 };

  it('claims a first batch when there is time', () => {
    expect(nextStep({ ...base, claimed: undefined })).toBe('continue');
  });

  it('claims again after a full batch', () => {
    expect(nextStep({ ...base, claimed: 500 })).toBe('continue');
  });

  it('stops after a short batch: the outbox is empty', () => {
    expect(nextStep({ ...base, claimed: 499 })).toBe('empty');
    expect(nextStep({ ...base, claimed: 0, remainingMs: 0 })).toBe('empty');
  });

  it('stops when less than the margin remains, even before the first batch', () => {
    expect(nextStep({ ...base, claimed: undefined, remainingMs: 4_999 })).toBe('time');
    expect(nextStep({ ...base, claimed: 500, remainingMs: 4_999 })).toBe('time');
    expect(nextStep({ ...base, claimed: 500, remainingMs: 5_000 })).toBe('continue');
  });
});

describe('describeTrigger', () => {
  it('names a UsersStored event by its batch', () => {
    const event = { 'detail-type': 'UsersStored', detail: { schemaVersion: 1, batchId: 's:1', count: 2 } };

    expect(describeTrigger(event)).toEqual({ kind: 'users-stored', batchId: 's:1', count: 2 });
  });

  it('names a schedule sweep by its time', () => {
    const event = { 'detail-type': 'Scheduled Event', time: '2026-01-01T00:00:00Z', detail: {} };

    expect(describeTrigger(event)).toEqual({ kind: 'schedule', time: '2026-01-01T00:00:00Z' });
  });

  it('accepts anything else without throwing', () => {
    expect(describeTrigger(undefined)).toEqual({ kind: 'other' });
    expect(describeTrigger({ 'detail-type': 'UsersStored', detail: { count: -1 } })).toEqual({
      kind: 'other',
    });
  });
});
