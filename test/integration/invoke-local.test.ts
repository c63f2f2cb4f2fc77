/**
 * `sls invoke local` runs each pipeline function, bundled by serverless-esbuild, with its sample event from
 * events/ against the local stack, as the README shows. The local randomuser API and the local PutEvents
 * stand-in run in this process on free ports, and reach the functions through RANDOMUSER_URL and
 * EVENTBRIDGE_ENDPOINT, the variables serverless.yml reads for the local stage.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { usersFetchedSchema, usersStoredSchema } from '../../functions/lib/schemas.ts';
import { type LocalEventBus, startLocalEventBus } from '../../infra/eventbus/server.ts';
import { type RandomUserServerHandle, startRandomUserServer } from '../../infra/randomuser/index.ts';
import { repoRoot } from '../../lib/paths.ts';
import { cassandraClient, postgresClient } from '../helpers/stack.ts';

const run = promisify(execFile);

let api: RandomUserServerHandle;
let bus: LocalEventBus;
let db: pg.Client;
let cql: cassandra.Client;

/** Runs `sls invoke local -f <name> --path events/<name>.json` and returns the function's result. */
async function invokeLocal(name: string): Promise<unknown> {
  const { stdout } = await run(
    'npx',
    ['sls', 'invoke', 'local', '-f', name, '--path', `events/${name}.json`],
    {
      cwd: repoRoot,
      timeout: 150_000,
      maxBuffer: 32 * 1024 * 1024,
      env: { ...process.env, RANDOMUSER_URL: api.url, EVENTBRIDGE_ENDPOINT: bus.endpoint },
    },
  );
  // The function's log lines come first, one JSON object per line; the pretty-printed result is last.
  const start = stdout.search(/^\{$/m);
  if (start < 0) throw new Error(`no result in the output of ${name}:\n${stdout}`);
  return JSON.parse(stdout.slice(start));
}

/** The user ids of a sample event of UsersFetched. */
async function sampleUserIds(): Promise<string[]> {
  const event = z
    .object({ detail: usersFetchedSchema })
    .parse(JSON.parse(await readFile(join(repoRoot, 'events', 'store-users.json'), 'utf8')));
  return event.detail.users.map((u) => u.login.uuid);
}

beforeAll(async () => {
  api = await startRandomUserServer({ port: 0 });
  bus = await startLocalEventBus();
  db = postgresClient();
  await db.connect();
  cql = cassandraClient();
});

afterAll(async () => {
  await db?.end();
  await cql?.shutdown();
  await api?.close();
  await bus?.close();
});

describe('sls invoke local with the sample events', () => {
  it('fetch-users fetches the sample run from the local API and puts UsersFetched events', async () => {
    const before = bus.ofType('UsersFetched').length;

    const result = await invokeLocal('fetch-users');

    expect(result).toMatchObject({ seed: 'sample', pages: 2, received: 20, published: 20, quarantined: 0 });
    const details = bus
      .ofType('UsersFetched')
      .slice(before)
      .map((e) => usersFetchedSchema.parse(e.detail));
    expect(details.flatMap((d) => d.users)).toHaveLength(20);
    expect(api.stats().requests).toBe(2);
  });

  it('store-users stores the sample users with their outbox rows and announces UsersStored', async () => {
    const ids = await sampleUserIds();

    const result = await invokeLocal('store-users');

    expect(result).toMatchObject({ batchId: 'sample:1', received: 2, rejected: 0 });
    const stored = await db.query<{ id: string }>('SELECT id FROM users_raw WHERE id = ANY($1::uuid[])', [
      ids,
    ]);
    const outbox = await db.query<{ id: string }>('SELECT id FROM outbox WHERE id = ANY($1::uuid[])', [ids]);
    expect(stored.rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(outbox.rows).toHaveLength(2);
    expect(bus.ofType('UsersStored').map((e) => usersStoredSchema.parse(e.detail).batchId)).toContain(
      'sample:1',
    );
  });

  it('publish-users relays the outbox to Kafka and marks the sample users published', async () => {
    const ids = await sampleUserIds();

    const result = await invokeLocal('publish-users');

    expect(result).toMatchObject({ stoppedBecause: 'empty' });
    const pending = await db.query(
      'SELECT id FROM outbox WHERE id = ANY($1::uuid[]) AND published_at IS NULL',
      [ids],
    );
    expect(pending.rows).toEqual([]);
  });

  it('sink-users upserts the sample records into Cassandra', async () => {
    const ids = await sampleUserIds();

    const result = await invokeLocal('sink-users');

    expect(result).toEqual({ received: 2, written: 2, deadLettered: 0, duplicates: 0 });
    const rows = await cql.execute(
      'SELECT id, first_name FROM spark_streams.created_users WHERE id IN ?',
      [ids],
      {
        prepare: true,
      },
    );
    expect(rows.rows.map((r) => String(r.id)).sort()).toEqual([...ids].sort());
  });
});
