import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { TransientError } from '../lib/errors.ts';
import type { EventEntry, EventPublisher } from '../lib/eventbridge.ts';
import {
  EmptyResultsError,
  type PageRequest,
  RandomUserHttpError,
  type UserSource,
} from '../lib/randomuser.ts';
import { RetriesExhaustedError } from '../lib/retry.ts';
import { credentialFields, type UsersFetched, usersFetchedSchema } from '../lib/schemas.ts';
import { createHandler } from './app.ts';

const fetchConfig = {
  url: 'http://randomuser.test/api/1.4/',
  total: 100,
  pageSize: 40,
  nat: undefined,
  timeoutMs: 1_000,
  maxAttempts: 4,
  maxResponseBytes: 1_000_000,
};

/** A clock whose sleeps advance time at once. */
function fakeClock() {
  const clock = {
    time: Date.parse('2026-11-24T10:00:00Z'),
    waits: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.waits.push(ms);
      clock.time += ms;
    },
    random: () => 0.5,
  };
  return clock;
}

/** A source serving fixture users by page, failing first with the errors queued in `failures`. */
function fakeSource(failures: Error[] = []) {
  const users = fixtureUsers();
  const requests: PageRequest[] = [];
  const source: UserSource = {
    async fetchPage(request) {
      requests.push(request);
      const failure = failures.shift();
      if (failure) throw failure;
      const start = (request.page - 1) * fetchConfig.pageSize;
      return { results: users.slice(start, start + request.results), info: undefined, bytes: 1 };
    },
  };
  return { source, requests };
}

function fakePublisher(): EventPublisher & { entries: EventEntry[] } {
  const entries: EventEntry[] = [];
  return {
    entries,
    async publish(batch) {
      entries.push(...batch);
      return { calls: 1 };
    },
  };
}

const silent = new Logger({ logLevel: 'SILENT' });

function setup(failures: Error[] = []) {
  const clock = fakeClock();
  const { source, requests } = fakeSource(failures);
  const publisher = fakePublisher();
  const handler = createHandler({ config: { fetch: fetchConfig }, logger: silent, source, publisher, clock });
  const published = () =>
    publisher.entries.map((e) => usersFetchedSchema.parse(e.detail) satisfies UsersFetched);
  return { handler, clock, requests, published };
}

describe('fetch-users handler', () => {
  it('fetches the total in pages of pageSize and publishes every user once', async () => {
    const { handler, requests, published } = setup();

    const summary = await handler({ seed: 'unit' });

    expect(requests.map((r) => [r.page, r.results])).toEqual([
      [1, 40],
      [2, 40],
      [3, 20],
    ]);
    const ids = published().flatMap((d) => d.users.map((u) => u.login.uuid));
    expect(ids).toHaveLength(100);
    expect(new Set(ids).size).toBe(100);
    expect(summary).toMatchObject({ seed: 'unit', pages: 3, received: 100, published: 100, quarantined: 0 });
  });

  it('waits out a 429 for its Retry-After and then carries on', async () => {
    const { handler, clock, published } = setup([new RandomUserHttpError('rate limited', 429, 7_000)]);

    const summary = await handler({ seed: 'unit' });

    expect(clock.waits[0]).toBeGreaterThanOrEqual(7_000);
    expect(summary.published).toBe(100);
    expect(published()).not.toHaveLength(0);
  });

  it('retries 5xx and empty results with backoff', async () => {
    const { handler, clock, requests } = setup([
      new RandomUserHttpError('down', 503, undefined),
      new EmptyResultsError('empty'),
    ]);

    const summary = await handler({ seed: 'unit' });

    expect(clock.waits).toHaveLength(2);
    expect(requests.filter((r) => r.page === 1)).toHaveLength(3);
    expect(summary.published).toBe(100);
  });

  it('fails the run with the cause when a page keeps failing, after maxAttempts', async () => {
    const failures = Array.from(
      { length: 10 },
      () => new TransientError('timeout', { code: 'RANDOMUSER_TIMEOUT' }),
    );
    const { handler, requests, published } = setup(failures);

    const error = await handler({ seed: 'unit' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ code: 'RANDOMUSER_TIMEOUT', retryable: true, attempts: 4 });
    expect(requests).toHaveLength(4);
    expect(published()).toEqual([]);
  });

  it('does not retry past the Lambda deadline', async () => {
    const { handler, requests } = setup([new RandomUserHttpError('rate limited', 429, 60_000)]);

    const error = await handler({ seed: 'unit' }, { getRemainingTimeInMillis: () => 30_000 }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(requests).toHaveLength(1);
  });

  it('quarantines an invalid record with a logged, counted reason, and publishes the rest of its page', async () => {
    const users = fixtureUsers().slice(0, 5);
    const broken = { ...users[2], email: 42, login: { uuid: 'nope', username: 'x', password: 'hunter2' } };
    const publisher = fakePublisher();
    const logger = new Logger({ logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const handler = createHandler({
      config: { fetch: { ...fetchConfig, total: 5, pageSize: 5 } },
      logger,
      source: {
        fetchPage: async () => ({
          results: [...users.slice(0, 2), broken, ...users.slice(3)],
          info: undefined,
          bytes: 1,
        }),
      },
      publisher,
      clock: fakeClock(),
    });

    const summary = await handler({ seed: 'unit' });

    expect(summary).toMatchObject({ received: 5, published: 4, quarantined: 1 });
    const published = publisher.entries.flatMap((e) => usersFetchedSchema.parse(e.detail).users);
    expect(published.map((u) => u.email)).toEqual(
      [users[0], users[1], users[3], users[4]].map((u) => u?.email),
    );
    const quarantineLogs = warn.mock.calls.filter(
      ([message]) => message === 'quarantined a randomuser record',
    );
    expect(quarantineLogs).toHaveLength(1);
    expect(quarantineLogs[0]?.[1]).toMatchObject({
      page: 1,
      index: 2,
      userId: 'nope',
      code: 'VALIDATION_FAILED',
    });
    expect(JSON.stringify(quarantineLogs[0])).toMatch(/email/);
    expect(JSON.stringify(quarantineLogs[0])).not.toContain('hunter2');
  });

  it('quarantines a user with a 200,000-character first name in a short WARN line, and publishes the rest', async () => {
    const users = fixtureUsers().slice(0, 5);
    const raw = users[1] ?? {};
    const hostile = { ...raw, name: { title: 'Mr', first: 'A'.repeat(200_000), last: 'Hostile' } };
    const publisher = fakePublisher();
    const logger = new Logger({ logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const handler = createHandler({
      config: { fetch: { ...fetchConfig, total: 5, pageSize: 5 } },
      logger,
      source: {
        fetchPage: async () => ({
          results: [users[0], hostile, ...users.slice(2)],
          info: undefined,
          bytes: 1,
        }),
      },
      publisher,
      clock: fakeClock(),
    });

    const summary = await handler({ seed: 'unit' });

    expect(summary).toMatchObject({ received: 5, published: 4, quarantined: 1 });
    const published = publisher.entries.flatMap((e) => usersFetchedSchema.parse(e.detail).users);
    expect(published.map((u) => u.email)).toEqual([0, 2, 3, 4].map((i) => users[i]?.email));
    const [line, ...others] = warn.mock.calls.filter(
      ([message]) => message === 'quarantined a randomuser record',
    );
    expect(others).toEqual([]);
    expect(line?.[1]).toMatchObject({
      page: 1,
      index: 1,
      code: 'VALIDATION_FAILED',
      reason: 'invalid randomuser page 1 results[1]: name.first: at most 256 characters, got 200000',
    });
    const logged = JSON.stringify(line);
    expect(logged.length).toBeLessThan(1_000);
    const login = z.record(z.string(), z.string()).parse(raw.login);
    for (const field of credentialFields) expect(logged).not.toContain(`"${login[field]}"`);
  });

  it('rejects an event it cannot read with a validation error', async () => {
    const { handler } = setup();

    await expect(handler({ total: 'lots' })).rejects.toMatchObject({
      name: 'ValidationError',
      retryable: false,
    });
  });
});
