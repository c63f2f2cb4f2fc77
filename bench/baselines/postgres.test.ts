import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { batchInputSql } from '../../functions/lib/users-store.ts';
import { benchUsers, storableUsers } from '../lib/users.ts';
import { BaselineOptionsError } from './errors.ts';
import { chunk, postgresBulkBaseline, scratchTables, unnestInsertSql, userBytes } from './postgres.ts';

// A pool opens no connection until its first query; these tests never make one.
const pool = new pg.Pool({ host: '127.0.0.1', port: 1 });
afterAll(() => pool.end());

describe('chunk', () => {
  it('splits into consecutive chunks of at most the size', () => {
    // Act
    const chunks = chunk([1, 2, 3, 4, 5], 2);

    // Assert
    expect(chunks).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('gives no chunks for no items', () => {
    // Act
    const chunks = chunk([], 1000);

    // Assert
    expect(chunks).toEqual([]);
  });

  it.each([0, -1, 1.5])('refuses a size of %s', (size) => {
    // Act
    const split = () => chunk([1], size);

    // Assert
    expect(split).toThrow(RangeError);
  });
});

describe('unnestInsertSql', () => {
  it("writes both scratch tables from the store's batch input, without conflict handling", () => {
    // Act
    const sql = unnestInsertSql(scratchTables('bench_'));

    // Assert
    expect(sql).toContain('INSERT INTO bench_users_raw (id, payload, batch_id, fetched_at)');
    expect(sql).toContain('INSERT INTO bench_outbox (id, aggregatetype, aggregateid, type, payload)');
    expect(sql).toContain(batchInputSql);
    expect(sql).not.toMatch(/ON CONFLICT|RETURNING|published_at/);
  });

  it('marks the outbox rows published when asked, as the relay leaves them', () => {
    // Act
    const sql = unnestInsertSql({ usersRaw: 'users_raw', outbox: 'outbox' }, { published: true });

    // Assert
    expect(sql).toContain('INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, published_at)');
    expect(sql).toContain("SELECT id, 'user', id::text, 'UserCreated', message, now() FROM input");
  });
});

describe('userBytes', () => {
  it('adds the payload and message bytes', () => {
    // Act
    const bytes = userBytes({ id: 'x', payload: '{"a":"é"}', message: '{}' });

    // Assert
    expect(bytes).toBe(10 + 2);
  });
});

describe('postgresBulkBaseline', () => {
  it('refuses duplicate user ids', async () => {
    // Arrange
    const [user] = storableUsers(benchUsers(1, 'pg-dup'));
    if (user === undefined) throw new Error('no bench user');

    // Act
    const run = postgresBulkBaseline({ db: pool, users: [user, user] });

    // Assert
    await expect(run).rejects.toBeInstanceOf(BaselineOptionsError);
    await expect(run).rejects.toThrow(/unique/);
  });

  it('refuses a table prefix that is not a plain identifier', async () => {
    // Arrange
    const users = storableUsers(benchUsers(1, 'pg-prefix'));

    // Act
    const run = postgresBulkBaseline({ db: pool, users, tablePrefix: 'x; DROP TABLE users_raw; --' });

    // Assert
    await expect(run).rejects.toThrow(/tablePrefix/);
  });

  it('refuses the copy method, which needs pg-copy-streams', async () => {
    // Arrange
    const users = storableUsers(benchUsers(1, 'pg-copy'));

    // Act
    // @ts-expect-error: 'copy' is not a method this build offers.
    const run = postgresBulkBaseline({ db: pool, users, method: 'copy' });

    // Assert
    await expect(run).rejects.toThrow(/method/);
  });
});
