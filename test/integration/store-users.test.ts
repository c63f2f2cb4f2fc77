/**
 * store-users against the real PostgreSQL: one bulk insert into users_raw with the outbox rows of the new
 * users, in one transaction; replays, duplicates and bad records change nothing they should not. EventBridge
 * is the local PutEvents stand-in (AWS is the one thing mocked).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventPublisherFor } from '../../functions/lib/eventbridge.ts';
import { createPool } from '../../functions/lib/postgres.ts';
import { type User, userSchema, usersStoredSchema } from '../../functions/lib/schemas.ts';
import { userCreatedSchema } from '../../functions/lib/users-created.ts';
import { createUserStore } from '../../functions/lib/users-store.ts';
import { createHandler } from '../../functions/store-users/app.ts';
import { type LocalEventBus, startLocalEventBus } from '../../infra/eventbus/server.ts';
import { resolvePostgres } from '../../infra/local/endpoints.ts';
import { freshRawUsers, freshUsers, pipelineEvent } from '../helpers/pipeline.ts';
import { stackConfig } from '../helpers/stack.ts';

const logger = new Logger({ serviceName: 'store-users-test', logLevel: 'SILENT' });

let bus: LocalEventBus;
let pool: pg.Pool;
let db: pg.Client;

function handlerFor(targetPool: pg.Pool) {
  return createHandler({
    logger,
    store: createUserStore(targetPool),
    publisher: eventPublisherFor({ eventBridge: { busName: 'default', endpoint: bus.endpoint } }),
  });
}

let batchCounter = 0;
function usersFetched(users: readonly unknown[]) {
  batchCounter++;
  return pipelineEvent('UsersFetched', {
    schemaVersion: 1,
    batchId: `store-test-${Date.now()}:${batchCounter}`,
    seed: 'store-test',
    page: batchCounter,
    part: 0,
    parts: 1,
    fetchedAt: '2026-11-24T10:00:00.000Z',
    users,
  });
}

const touched: string[] = [];
const idsOf = (users: readonly User[]) => {
  const ids = users.map((u) => u.login.uuid);
  touched.push(...ids);
  return ids;
};

async function rowsFor(ids: readonly string[]) {
  const raw = await db.query<{ id: string; payload: User }>(
    'SELECT id, payload FROM users_raw WHERE id = ANY($1::uuid[])',
    [ids],
  );
  const outbox = await db.query<{
    id: string;
    aggregateid: string;
    type: string;
    payload: unknown;
    published_at: Date | null;
  }>('SELECT id, aggregateid, type, payload, published_at FROM outbox WHERE id = ANY($1::uuid[])', [ids]);
  return { raw: raw.rows, outbox: outbox.rows };
}

beforeAll(async () => {
  bus = await startLocalEventBus();
  const ep = resolvePostgres(stackConfig());
  const settings = {
    service: 'test',
    postgres: { host: ep.host, port: ep.port, user: ep.user, database: ep.database },
  };
  pool = createPool(settings);
  db = new pg.Client({ host: ep.host, port: ep.port, user: ep.user, database: ep.database });
  await db.connect();
});

afterAll(async () => {
  // Leave no unpublished outbox rows behind for the relay tests that run later.
  await db?.query('DELETE FROM outbox WHERE id = ANY($1::uuid[])', [touched]);
  await db?.query('DELETE FROM users_raw WHERE id = ANY($1::uuid[])', [touched]);
  await db?.end();
  await pool?.end();
  await bus?.close();
});

describe('store-users', () => {
  it('stores a batch in users_raw with one outbox row per user, and announces UsersStored', async () => {
    const users = freshUsers(300);
    const event = usersFetched(users);
    const handler = handlerFor(pool);

    const summary = await handler(event);

    expect(summary).toMatchObject({
      received: 300,
      stored: 300,
      alreadyStored: 0,
      rejected: 0,
      duplicates: 0,
    });
    const { raw, outbox } = await rowsFor(idsOf(users));
    expect(new Set(raw.map((r) => r.id))).toEqual(new Set(idsOf(users)));
    expect(raw).toHaveLength(300);
    expect(outbox).toHaveLength(300);
    const byId = new Map(users.map((u) => [u.login.uuid, u]));
    for (const row of raw) expect(row.payload).toEqual(byId.get(row.id));
    for (const row of outbox) {
      const message = userCreatedSchema.parse(row.payload);
      expect(message.user).toEqual(byId.get(row.id));
      expect(row).toMatchObject({ aggregateid: row.id, type: 'UserCreated', published_at: null });
    }
    const stored = bus.ofType('UsersStored').map((e) => usersStoredSchema.parse(e.detail));
    expect(stored).toContainEqual({ schemaVersion: 1, batchId: event.detail.batchId, count: 300 });
  });

  it('changes nothing when the same batch is delivered again', async () => {
    const users = freshUsers(50);
    const event = usersFetched(users);
    const handler = handlerFor(pool);
    await handler(event);
    const before = await rowsFor(idsOf(users));

    const again = await handler(event);

    expect(again).toMatchObject({ stored: 0, alreadyStored: 50 });
    expect(await rowsFor(idsOf(users))).toEqual(before);
  });

  it('stores each of the ids repeated within a batch once', async () => {
    const users = freshUsers(10);
    const handler = handlerFor(pool);

    const summary = await handler(usersFetched([...users, ...users.slice(0, 4)]));

    expect(summary).toMatchObject({ stored: 10, duplicates: 4 });
    const { raw, outbox } = await rowsFor(idsOf(users));
    expect(raw).toHaveLength(10);
    expect(outbox).toHaveLength(10);
  });

  it('rejects a NUL character or a broken record up front, and stores the neighbours', async () => {
    const users = freshUsers(5);
    const [a, b, c, d, e] = users;
    if (!a || !b || !c || !d || !e) throw new Error('fixtures too small');
    const withNul = { ...b, name: { ...b.name, last: 'Null\u0000Byte' } };
    const wrongTypes = { ...c, dob: { date: 42, age: 'old' } };
    const notUuid = { ...d, login: { ...d.login, uuid: 'robert' } };

    const summary = await handlerFor(pool)(usersFetched([a, withNul, wrongTypes, notUuid, e]));

    expect(summary).toMatchObject({ received: 5, stored: 2, rejected: 3 });
    const { raw, outbox } = await rowsFor(idsOf(users));
    expect(raw.map((r) => r.id).sort()).toEqual([a.login.uuid, e.login.uuid].sort());
    expect(outbox).toHaveLength(2);
  });

  it('fails a whole batch, storing nothing, when a text is not exactly one JSON value', async () => {
    // The store zips the ids with JSON arrays of the texts: "1, 2" would be two elements and shift every row
    // after it. The row left without a message breaks NOT NULL, so nothing of the batch is stored.
    const ids = idsOf(freshUsers(3));
    const store = createUserStore(pool);
    const users = ids.map((id) => ({ id, payload: JSON.stringify({ id }), message: JSON.stringify({ id }) }));
    const shifted = users.map((u, i) => (i === 0 ? { ...u, message: '{"a": 1}, {"b": 2}' } : u));

    await expect(
      store.insertWithOutbox({ batchId: 'shifted', fetchedAt: '2026-12-06T00:00:00Z', users: shifted }),
    ).rejects.toMatchObject({ code: 'POSTGRES_23502', retryable: false });
    expect(await rowsFor(ids)).toEqual({ raw: [], outbox: [] });

    // The same batch with well-formed texts is stored whole, each payload with its own id.
    const stored = await store.insertWithOutbox({
      batchId: 'aligned',
      fetchedAt: '2026-12-06T00:00:00Z',
      users,
    });
    expect(stored.sort()).toEqual([...ids].sort());
    const { raw, outbox } = await rowsFor(ids);
    expect(raw.map((r) => [r.id, (r.payload as unknown as { id: string }).id]).sort()).toEqual(
      ids.map((id) => [id, id]).sort(),
    );
    expect(outbox.map((o) => [o.id, (o.payload as { id: string }).id]).sort()).toEqual(
      ids.map((id) => [id, id]).sort(),
    );
  });

  it('stores SQL injection strings verbatim and leaves the tables intact', async () => {
    const [user] = freshUsers(1);
    if (!user) throw new Error('no user');
    const nasty = {
      ...user,
      name: {
        title: "'; DROP TABLE users_raw; --",
        first: "Robert'); DELETE FROM outbox; --",
        last: '$1 $$ \\x00 ::jsonb',
      },
      location: { ...user.location, city: "x' OR '1'='1" },
    };

    await handlerFor(pool)(usersFetched([nasty]));

    const { raw, outbox } = await rowsFor(idsOf([user]));
    expect(raw[0]?.payload).toEqual(nasty);
    expect(outbox).toHaveLength(1);
    const tables = await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('users_raw', 'outbox')",
    );
    expect(tables.rows[0]?.n).toBe('2');
    const outboxRows = await db.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
    expect(Number(outboxRows.rows[0]?.n)).toBeGreaterThan(1);
  });

  it('never stores a credential, even when the event carries one', async () => {
    const [raw] = freshRawUsers(1);
    if (!raw) throw new Error('no user');

    await handlerFor(pool)(usersFetched([raw]));

    const id = userSchema.parse(raw).login.uuid;
    touched.push(id);
    const text = await db.query<{ t: string }>(
      'SELECT r.payload::text || o.payload::text AS t FROM users_raw r JOIN outbox o USING (id) WHERE r.id = $1',
      [id],
    );
    expect(text.rows[0]?.t).toBeDefined();
    for (const field of ['password', 'salt', 'md5', 'sha1', 'sha256'])
      expect(text.rows[0]?.t).not.toContain(`"${field}"`);
  });

  it('throws a retryable error when PostgreSQL is unreachable, and announces nothing', async () => {
    const users = freshUsers(3);
    const deadPool = createPool({
      service: 'test',
      postgres: { host: '127.0.0.1', port: 1, user: undefined, database: 'pipeline' },
    });
    const announced = bus.ofType('UsersStored').length;

    const error = await handlerFor(deadPool)(usersFetched(users)).catch((e: unknown) => e);

    expect(error).toMatchObject({ retryable: true });
    expect(bus.ofType('UsersStored')).toHaveLength(announced);
    expect((await rowsFor(idsOf(users))).raw).toEqual([]);
    await deadPool.end();
  });

  it('rejects an event that is not UsersFetched with a validation error', async () => {
    await expect(
      handlerFor(pool)(pipelineEvent('UsersFetched', { batchId: 'x', users: 'none' })),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      retryable: false,
    });
    await expect(handlerFor(pool)(pipelineEvent('Something', {}))).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});
