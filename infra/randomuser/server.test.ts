import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostileNameLength } from './faults.ts';
import { generateUsers } from './generate.ts';
import {
  createRandomUserServer,
  type RandomUserServerHandle,
  type RandomUserStats,
  startRandomUserServer,
} from './server.ts';

const REFERENCE_TIME = Date.UTC(2026, 0, 15);
let api: RandomUserServerHandle;

beforeAll(async () => {
  api = await startRandomUserServer({ port: 0, referenceTime: REFERENCE_TIME });
});
afterEach(() => api.reset());
afterAll(() => api.close());

const get = (query = '', path = '/api/1.4/') => fetch(`${api.origin}${path}${query ? `?${query}` : ''}`);

async function getJson(query = '', path?: string): Promise<{ status: number; body: unknown; res: Response }> {
  const res = await get(query, path);
  return { status: res.status, body: await res.json(), res };
}

describe('API', () => {
  it('listens on an ephemeral loopback port and reports its URL', () => {
    expect(api.port).toBeGreaterThan(0);
    expect(api.url).toBe(`http://127.0.0.1:${api.port}/api/1.4/`);
  });

  it('serves exactly what generateUsers returns, as application/json', async () => {
    const res = await get('results=7&seed=abc&page=2&nat=de,ir');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    const expected = generateUsers({ results: 7, seed: 'abc', page: 2, nat: 'de,ir', now: REFERENCE_TIME });
    expect(text).toBe(JSON.stringify(expected));
  });

  it('answers the same on /api/1.4, /api/ and /api/1.4/', async () => {
    const bodies = await Promise.all(
      ['/api/1.4/', '/api/1.4', '/api/'].map(async (path) => (await get('seed=x&results=3', path)).text()),
    );
    expect(new Set(bodies).size).toBe(1);
  });

  it('reports a random seed when none is given', async () => {
    const { body } = await getJson('results=1');
    expect(body).toMatchObject({ info: { seed: expect.stringMatching(/^[0-9a-f]{16}$/), version: '1.4' } });
  });

  it('serves 5000 users in one response, and one user for an out-of-range count', async () => {
    const big = (await getJson('results=5000&seed=big&inc=login')).body as { results: unknown[] };
    expect(big.results).toHaveLength(5000);
    const small = (await getJson('results=5001&seed=big')).body as { results: unknown[] };
    expect(small.results).toHaveLength(1);
  });

  it('passes inc, exc, gender and noinfo through', async () => {
    const { body } = await getJson('results=5&seed=s&inc=gender,nat&gender=female&noinfo');
    expect(body).toEqual({ results: expect.any(Array) });
    for (const user of (body as { results: object[] }).results) {
      expect(Object.keys(user)).toEqual(['gender', 'nat']);
      expect(user).toMatchObject({ gender: 'female' });
    }
  });

  it('answers 404 with an error for other paths, and 400 for an unsupported format', async () => {
    for (const path of ['/', '/api/1.3/', '/api/1.4/users']) {
      const { status, body } = await getJson('', path);
      expect(status).toBe(404);
      expect(body).toEqual({ error: expect.any(String) });
    }
    const { status, body } = await getJson('format=csv');
    expect(status).toBe(400);
    expect(body).toEqual({ error: expect.stringContaining('csv') });
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await fetch(api.url, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });
});

describe('faults', () => {
  it('fails the next requests with the forced status, then recovers', async () => {
    api.setFaults({ failNext: { count: 2, status: 500 } });
    expect((await getJson('seed=s')).status).toBe(500);
    const second = await getJson('seed=s');
    expect(second).toMatchObject({ status: 500, body: { error: expect.any(String) } });
    expect((await getJson('seed=s')).status).toBe(200);
  });

  it('fails with errorStatus at errorRate 1', async () => {
    api.setFaults({ errorRate: 1, errorStatus: 502 });
    expect((await getJson('seed=s')).status).toBe(502);
    expect((await getJson('seed=s')).status).toBe(502);
  });

  it('answers 200 with empty results', async () => {
    api.setFaults({ emptyNext: 1 });
    const { status, body } = await getJson('seed=s&results=10');
    expect(status).toBe(200);
    expect(body).toEqual({ results: [], info: { seed: 's', results: 10, page: 1, version: '1.4' } });
    api.setFaults({ emptyRate: 1 });
    expect((await getJson('seed=s')).body).toMatchObject({ results: [] });
  });

  it('delays responses by latencyMs', async () => {
    api.setFaults({ latencyMs: 150 });
    const started = performance.now();
    expect((await get('seed=s')).status).toBe(200);
    // Node may fire a timer up to a millisecond early.
    expect(performance.now() - started).toBeGreaterThanOrEqual(149);
  });

  it('cuts a truncated body short, so reading it fails', async () => {
    api.setFaults({ truncateNext: 1 });
    const res = await get('seed=s&results=50');
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(1000);
    await expect(res.text()).rejects.toThrow();
    expect((await getJson('seed=s')).status).toBe(200);
  });

  it('sends a complete body that is not JSON', async () => {
    api.setFaults({ malformedNext: 1 });
    const res = await get('seed=s&results=5');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('serves a page whose first user has a 200,000-character first name, the rest as generated', async () => {
    api.setFaults({ hostileNext: 1 });
    const expected = generateUsers({ results: 5, seed: 'h', now: REFERENCE_TIME });

    const hostile = (await getJson('seed=h&results=5')).body as typeof expected;
    const after = (await getJson('seed=h&results=5')).body;

    expect(hostile.results[0]?.name?.first).toBe('A'.repeat(hostileNameLength));
    expect(hostileNameLength).toBe(200_000);
    expect({ ...hostile.results[0], name: expected.results[0]?.name }).toEqual(expected.results[0]);
    expect(hostile.results.slice(1)).toEqual(expected.results.slice(1));
    expect(after).toEqual(expected);
    expect(api.stats().faults.hostile).toBe(1);
  });

  it('answers 429 with Retry-After once a client passes the user limit, not before', async () => {
    api.setFaults({ rateLimit: { users: 10, windowMs: 60_000 } });
    expect((await get('results=6&seed=s')).status).toBe(200);
    expect((await get('results=4&seed=s')).status).toBe(200);
    const { status, body, res } = await getJson('results=1&seed=s');
    expect(status).toBe(429);
    expect(body).toEqual({ error: expect.stringContaining('10 users') });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    api.setFaults({ retryAfterSeconds: 1 });
    expect((await get('results=1&seed=s')).headers.get('retry-after')).toBe('1');
    api.setFaults({ rateLimit: false });
    expect((await get('results=1&seed=s')).status).toBe(200);
  });

  it('does not count failed or faulty responses against the limit', async () => {
    api.setFaults({ rateLimit: { users: 5 }, failNext: 1, emptyNext: 1, truncateNext: 1 });
    expect((await get('results=5&seed=s')).status).toBe(503);
    await (await get('results=5&seed=s')).text().catch(() => undefined);
    expect((await getJson('results=5&seed=s')).body).toMatchObject({ results: [] });
    expect((await get('results=5&seed=s')).status).toBe(200);
    expect((await get('results=5&seed=s')).status).toBe(429);
  });
});

describe('admin endpoints', () => {
  const admin = (path: string, init?: RequestInit) => fetch(`${api.origin}/__admin/${path}`, init);
  const post = (path: string, body: unknown) =>
    admin(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('sets and reads faults over HTTP, and rejects invalid ones', async () => {
    const set = await post('faults', { failNext: 1, latencyMs: 5 });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ failNext: { count: 1, status: 503 }, latencyMs: 5 });
    expect(await (await admin('faults')).json()).toMatchObject({ failNext: { count: 1 } });
    expect((await get('seed=s')).status).toBe(503);
    expect(api.faults().failNext.count).toBe(0);

    for (const bad of [{ errorRate: 2 }, { nope: true }, [1]]) {
      const res = await post('faults', bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: expect.stringContaining('invalid faults') });
    }
    const notJson = await admin('faults', { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('counts requests, users and faults by kind', async () => {
    api.setFaults({ failNext: 1, emptyNext: 1 });
    await get('seed=s');
    await get('seed=s&results=3');
    await get('seed=s&results=4');
    await get('seed=s&format=xml');
    const stats = (await (await admin('stats')).json()) as RandomUserStats;
    expect(stats).toMatchObject({
      requests: 4,
      usersServed: 4,
      byStatus: { 200: 2, 400: 1, 503: 1 },
      faults: { error: 1, empty: 1, truncate: 0, malformed: 0, rateLimited: 0, delayed: 0 },
    });
    expect(stats.recent.map((e) => e.status)).toEqual([503, 200, 200, 400]);
    expect(api.stats()).toEqual(stats);
  });

  it('resets faults, counters and windows', async () => {
    api.setFaults({ errorRate: 1 });
    await get('seed=s');
    const res = await admin('reset', { method: 'POST' });
    expect(await res.json()).toMatchObject({ errorRate: 0 });
    expect(api.stats()).toMatchObject({ requests: 0, usersServed: 0, recent: [] });
    expect((await get('seed=s')).status).toBe(200);
  });

  it('answers 404 for unknown admin routes', async () => {
    expect((await admin('nothing')).status).toBe(404);
    expect((await admin('stats', { method: 'DELETE' })).status).toBe(404);
  });
});

describe('lifecycle', () => {
  it('starts with construction-time faults and returns to them on reset', async () => {
    const other = await startRandomUserServer({ faults: { errorRate: 1, errorStatus: 504 } });
    try {
      expect((await fetch(other.url)).status).toBe(504);
      other.setFaults({ errorRate: 0 });
      expect((await fetch(other.url)).status).toBe(200);
      other.reset();
      expect((await fetch(other.url)).status).toBe(504);
    } finally {
      await other.close();
    }
  });

  it('closes promptly while a delayed request is pending', async () => {
    const other = await startRandomUserServer({ faults: { latencyMs: 60_000 } });
    const pending = fetch(other.url).then(
      () => 'answered',
      () => 'dropped',
    );
    await expect.poll(() => other.stats().requests).toBe(1);
    // Without dropping the pending request, close() would wait out the 60 s delay and the test time out.
    await other.close();

    expect(await pending).toBe('dropped');
  });

  it('validates its options', () => {
    expect(() => createRandomUserServer({ port: 70_000 })).toThrow();
    expect(() => createRandomUserServer({ faults: { emptyRate: -1 } })).toThrow();
    expect(() => createRandomUserServer({ referenceTime: 'not a date' })).toThrow(/referenceTime/);
  });
});
