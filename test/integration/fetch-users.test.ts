/**
 * fetch-users over real HTTP against the local randomuser-compatible API, with each of its fault knobs,
 * publishing to the local PutEvents stand-in. Every bad answer the real API is known to give must end in
 * either the complete, exact set of users or a typed error, never in a partial silent success.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, depsFor } from '../../functions/fetch-users/app.ts';
import { entrySize } from '../../functions/lib/eventbridge.ts';
import { RetriesExhaustedError } from '../../functions/lib/retry.ts';
import { credentialFields, eventSource, usersFetchedSchema } from '../../functions/lib/schemas.ts';
import { parseConfig } from '../../functions/lib/settings.ts';
import { type LocalEventBus, startLocalEventBus } from '../../infra/eventbus/server.ts';
import {
  generateUsers,
  type RandomUserServerHandle,
  startRandomUserServer,
} from '../../infra/randomuser/index.ts';

const logger = new Logger({ serviceName: 'fetch-users-test', logLevel: 'SILENT' });

let api: RandomUserServerHandle;
let bus: LocalEventBus;

function handlerWith(overrides: Record<string, string> = {}) {
  const config = parseConfig({
    RANDOMUSER_URL: api.url,
    EVENTBRIDGE_ENDPOINT: bus.endpoint,
    FETCH_TIMEOUT_MS: '5000',
    FETCH_MAX_ATTEMPTS: '5',
    ...overrides,
  });
  return createHandler({ ...depsFor(config), logger });
}

/** The users the API serves for a run, straight from the generator. */
function expectedIds(seed: string, pages: number[], pageSize: number, total: number): string[] {
  return pages.flatMap((page, i) =>
    (generateUsers({ seed, page, results: Math.min(pageSize, total - i * pageSize) }).results ?? []).map(
      (u) => u.login?.uuid ?? '',
    ),
  );
}

/** The users published in `UsersFetched` events for a seed. */
function publishedFor(seed: string) {
  return bus
    .ofType('UsersFetched')
    .map((e) => usersFetchedSchema.parse(e.detail))
    .filter((d) => d.seed === seed);
}

const publishedIds = (seed: string) => publishedFor(seed).flatMap((d) => d.users.map((u) => u.login.uuid));

let seedCounter = 0;
const freshSeed = () => `fetch-it-${Date.now()}-${++seedCounter}`;

beforeAll(async () => {
  api = await startRandomUserServer({ port: 0 });
  bus = await startLocalEventBus();
});

afterEach(() => api.reset());

afterAll(async () => {
  await api?.close();
  await bus?.close();
});

describe('fetch-users against the local randomuser API', () => {
  it('fetches the total in pages and publishes exactly the users the API served', async () => {
    const seed = freshSeed();

    const summary = await handlerWith()({ seed, total: 1200, pageSize: 500 });

    expect(api.stats().requests).toBe(3);
    expect(publishedIds(seed)).toEqual(expectedIds(seed, [1, 2, 3], 500, 1200));
    expect(summary).toMatchObject({
      pages: 3,
      received: 1200,
      published: 1200,
      quarantined: 0,
      duplicates: 0,
    });
    for (const detail of publishedFor(seed)) {
      expect(entrySize(eventSource, 'UsersFetched', JSON.stringify(detail))).toBeLessThan(256 * 1024);
    }
    const text = JSON.stringify(publishedFor(seed));
    for (const field of credentialFields) expect(text).not.toContain(`"${field}"`);
  });

  it('waits out a 429 for its Retry-After, then fetches everything', async () => {
    const seed = freshSeed();
    api.setFaults({ rateLimit: { users: 100, windowMs: 2_000 } });

    await handlerWith()({ seed, total: 300, pageSize: 100 });

    const log = api.stats().recent;
    const limited = log.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    const retry = log[limited + 1];
    expect(retry).toBeDefined();
    expect(Date.parse(retry?.at ?? '') - Date.parse(log[limited]?.at ?? '')).toBeGreaterThanOrEqual(900);
    expect(publishedIds(seed)).toEqual(expectedIds(seed, [1, 2, 3], 100, 300));
  });

  it('retries 5xx responses', async () => {
    const seed = freshSeed();
    api.setFaults({ failNext: { count: 2, status: 502 } });

    await handlerWith()({ seed, total: 50, pageSize: 50 });

    expect(api.stats().byStatus).toMatchObject({ '502': 2, '200': 1 });
    expect(publishedIds(seed)).toEqual(expectedIds(seed, [1], 50, 50));
  });

  it('retries a 200 with an empty results', async () => {
    const seed = freshSeed();
    api.setFaults({ emptyNext: 2 });

    await handlerWith()({ seed, total: 50, pageSize: 50 });

    expect(api.stats().faults.empty).toBe(2);
    expect(publishedIds(seed)).toEqual(expectedIds(seed, [1], 50, 50));
  });

  it('retries a body cut off mid-stream, and a body that is not JSON', async () => {
    const seed = freshSeed();
    api.setFaults({ truncateNext: 1, malformedNext: 1 });

    await handlerWith()({ seed, total: 80, pageSize: 80 });

    expect(api.stats().faults).toMatchObject({ truncate: 1, malformed: 1 });
    expect(publishedIds(seed)).toEqual(expectedIds(seed, [1], 80, 80));
  });

  it('fails with a typed error and publishes nothing when every body is truncated', async () => {
    const seed = freshSeed();
    api.setFaults({ truncateRate: 1 });

    const error = await handlerWith({ FETCH_MAX_ATTEMPTS: '3' })({ seed, total: 80, pageSize: 80 }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ code: 'RANDOMUSER_TRUNCATED', attempts: 3, retryable: true });
    expect(publishedIds(seed)).toEqual([]);
  });

  it('fails on malformed JSON that never heals', async () => {
    const seed = freshSeed();
    api.setFaults({ malformedRate: 1 });

    const error = await handlerWith({ FETCH_MAX_ATTEMPTS: '2' })({ seed, total: 10 }).catch(
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ code: 'RANDOMUSER_MALFORMED_JSON', attempts: 2 });
    expect(publishedIds(seed)).toEqual([]);
  });

  it('times out a slow response and retries it', async () => {
    const seed = freshSeed();
    api.setFaults({ latencyMs: 3_000 });

    const error = await handlerWith({ FETCH_TIMEOUT_MS: '500', FETCH_MAX_ATTEMPTS: '2' })({
      seed,
      total: 10,
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'RANDOMUSER_TIMEOUT', attempts: 2 });
    expect(publishedIds(seed)).toEqual([]);
  });

  it('aborts a response over the size limit without retrying', async () => {
    const seed = freshSeed();

    const error = await handlerWith({ FETCH_MAX_RESPONSE_BYTES: String(64 * 1024) })({
      seed,
      total: 500,
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ResponseTooLargeError', retryable: false });
    expect(api.stats().requests).toBe(1);
    expect(publishedIds(seed)).toEqual([]);
  });

  it('puts again the entries EventBridge reports as failed, so every user arrives once', async () => {
    const seed = freshSeed();
    const callsBefore = bus.calls;
    bus.failNextEntries(2, 'ThrottlingException');

    await handlerWith()({ seed, total: 1000, pageSize: 1000 });

    const ids = publishedIds(seed);
    expect(ids).toEqual(expectedIds(seed, [1], 1000, 1000));
    expect(new Set(ids).size).toBe(1000);
    expect(bus.calls - callsBefore).toBeGreaterThan(publishedFor(seed).length / 10);
  });
});
