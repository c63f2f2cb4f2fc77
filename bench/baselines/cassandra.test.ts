import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import type { CreatedUserRow } from '../../functions/lib/users-created.ts';
import type { Baseline, Stage } from '../lib/results.ts';
import { benchUsers, createdUserRows } from '../lib/users.ts';
import {
  batchRatioOf,
  boundBytes,
  cassandraInsertBaseline,
  warmupCount,
  warmupRowsFor,
} from './cassandra.ts';
import { BaselineOptionsError, CassandraBaselineError } from './errors.ts';

const row: CreatedUserRow = {
  id: '0f8f1e5c-6b3a-4a7e-9a43-6c1f0d3c9a11',
  first_name: 'Zoë',
  last_name: 'Smith',
  gender: 'female',
  address: '1 Main St, Town, State, Country',
  post_code: '12345',
  email: 'zoe@example.com',
  username: 'zoe1',
  dob: new Date('1990-01-01T00:00:00Z'),
  registered_date: new Date('2010-01-01T00:00:00Z'),
  phone: '555-0100',
  picture: 'https://example.com/p.jpg',
  nationality: 'GB',
};

describe('warmupCount', () => {
  it.each([
    [0, 0],
    [50, 50],
    [1_000, 200],
    [10_000, 200],
    [50_000, 1_000],
    [100_001, 2_001],
  ])('warms up %i rows with %i', (rows, expected) => {
    // Act
    const count = warmupCount(rows);

    // Assert
    expect(count).toBe(expected);
  });
});

describe('warmupRowsFor', () => {
  it('copies the first rows under new ids, cycling when there are fewer', () => {
    // Arrange
    const rows = createdUserRows(benchUsers(3, 'warmup'));
    let n = 0;
    const newId = () => `00000000-0000-4000-8000-00000000000${n++}`;

    // Act
    const warmup = warmupRowsFor(rows, 5, newId);

    // Assert
    expect(warmup.map((r) => r.id)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `00000000-0000-4000-8000-00000000000${i}`),
    );
    expect(warmup[3]).toEqual({ ...rows[0], id: warmup[3]?.id });
    expect(rows.some((r) => warmup.some((w) => w.id === r.id))).toBe(false);
  });

  it('has nothing to copy from no rows', () => {
    // Act
    const warmup = warmupRowsFor([], 10, () => 'x');

    // Assert
    expect(warmup).toEqual([]);
  });
});

describe('boundBytes', () => {
  it('counts text as UTF-8, the id as a 16-byte uuid and timestamps as 8 bytes', () => {
    // Arrange
    const text = [
      row.first_name,
      row.last_name,
      row.gender,
      row.address,
      row.post_code,
      row.email,
      row.username,
      row.phone,
      row.picture,
      row.nationality,
    ];
    const expected = 16 + 2 * 8 + text.reduce((sum, t) => sum + Buffer.byteLength(t), 0);

    // Act
    const bytes = boundBytes(row);

    // Assert
    expect(bytes).toBe(expected);
    // 'ë' is two bytes.
    expect(Buffer.byteLength(row.first_name)).toBe(4);
  });
});

describe('cassandraInsertBaseline', () => {
  it('refuses a client without a keyspace before any query', async () => {
    // Arrange: the driver connects on the first query only, so this client never opens a socket.
    const client = new cassandra.Client({ contactPoints: ['127.0.0.1:1'], localDataCenter: 'dc1' });

    // Act
    const run = cassandraInsertBaseline({ client, rows: [row] });

    // Assert
    await expect(run).rejects.toBeInstanceOf(BaselineOptionsError);
    await expect(run).rejects.toThrow(/no keyspace/);
  });

  it('refuses no rows and a concurrency of 0', async () => {
    // Arrange
    const client = new cassandra.Client({
      contactPoints: ['127.0.0.1:1'],
      localDataCenter: 'dc1',
      keyspace: 'k',
    });

    // Act
    const empty = cassandraInsertBaseline({ client, rows: [] });
    const serial = cassandraInsertBaseline({ client, rows: [row], concurrency: 0 });

    // Assert
    await expect(empty).rejects.toMatchObject({ code: 'BASELINE_OPTIONS' });
    await expect(serial).rejects.toThrow(/concurrency/);
  });

  it("refuses batches larger than Keyspaces' limit, naming the batched baseline", async () => {
    // Arrange
    const client = new cassandra.Client({
      contactPoints: ['127.0.0.1:1'],
      localDataCenter: 'dc1',
      keyspace: 'k',
    });

    // Act
    const run = cassandraInsertBaseline({ client, rows: [row], batchSize: 31 });

    // Assert
    await expect(run).rejects.toBeInstanceOf(BaselineOptionsError);
    await expect(run).rejects.toThrow(/^cassandra-batch: invalid options: batchSize/);
  });

  it('writes unlogged prepared batches grouped as the sink groups them, and names itself cassandra-batch', async () => {
    // Arrange: a client whose batch() records each call instead of connecting.
    const client = new cassandra.Client({
      contactPoints: ['127.0.0.1:1'],
      localDataCenter: 'dc1',
      keyspace: 'k',
    });
    const calls: Array<{ rows: number; options: unknown }> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    client.batch = (async (queries: unknown[], options: unknown) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      calls.push({ rows: queries.length, options });
    }) as unknown as cassandra.Client['batch'];
    const rows = createdUserRows(benchUsers(25, 'batch'));

    // Act
    const baseline = await cassandraInsertBaseline({
      client,
      rows,
      batchSize: 10,
      concurrency: 2,
      warmupRows: 12,
    });

    // Assert: the warm-up's 12 rows in 10 + 2, then the 25 rows in 10 + 10 + 5, at most 2 in flight.
    expect(calls.map((c) => c.rows)).toEqual([10, 2, 10, 10, 5]);
    expect(calls.every((c) => JSON.stringify(c.options) === '{"prepare":true,"logged":false}')).toBe(true);
    expect(maxInFlight).toBe(2);
    expect(baseline).toMatchObject({
      id: 'cassandra-batch',
      records: 25,
      details: { batchSize: 10, concurrency: 2, warmupRows: 12 },
    });
  });

  it('fails with a CassandraBaselineError counting the failed batches, the first failure its cause', async () => {
    // Arrange
    const client = new cassandra.Client({
      contactPoints: ['127.0.0.1:1'],
      localDataCenter: 'dc1',
      keyspace: 'k',
    });
    const refused = new Error('batch too large');
    let call = 0;
    client.batch = (async () => {
      if (call++ % 2 === 1) throw refused;
    }) as unknown as cassandra.Client['batch'];

    // Act
    const run = cassandraInsertBaseline({
      client,
      rows: createdUserRows(benchUsers(40, 'fail')),
      batchSize: 10,
      warmupRows: 0,
    });

    // Assert
    await expect(run).rejects.toBeInstanceOf(CassandraBaselineError);
    await expect(run).rejects.toMatchObject({ code: 'CASSANDRA_BASELINE_INSERT', cause: refused });
    await expect(run).rejects.toThrow('timed batches into created_users failed (2 of 4): batch too large');
  });
});

describe('batchRatioOf', () => {
  const stage: Stage = { id: 'sink', name: 'sink', users: 1, seconds: 1, perSecond: 3_000, details: {} };
  const loop = (details: Baseline['details'], perSecond = 6_000): Baseline => ({
    id: 'cassandra-batch',
    name: 'batches',
    records: 1,
    recordBytes: 1,
    seconds: 1,
    perSecond,
    details,
  });

  it("is the stage's rate over the batched loop's, with its batch size", () => {
    expect(batchRatioOf(stage, [loop({ batchSize: 10 })])).toEqual({
      baseline: 'cassandra-batch',
      batchSize: 10,
      ratio: 0.5,
    });
  });

  it('is undefined without the batched loop, or when it measured no rate', () => {
    expect(batchRatioOf(stage, [])).toBeUndefined();
    expect(batchRatioOf(stage, [loop({ batchSize: 10 }, 0)])).toBeUndefined();
    expect(batchRatioOf(stage, [loop({})])).toBeUndefined();
  });
});
