import type { Admin } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import type { StageCounts } from './api.ts';
import { ConsoleError } from './errors.ts';
import { startLiveFeed } from './live.ts';
import { createMetrics } from './metrics.ts';
import { createApp, errorReply } from './server.ts';
import type { ConsoleSources } from './sources.ts';

const token = 'the-token';
const port = 3399;
const host = `127.0.0.1:${port}`;
const lines: string[] = [];

const counts: StageCounts = {
  fetched: 10,
  stored: 10,
  outboxPending: 0,
  outboxDead: 0,
  published: 10,
  lag: [{ partition: 0, lag: 2 }],
  cassandraRows: 8,
  deadLetters: 1,
  busPending: 0,
  busDeadLettered: 0,
};

/** Sources whose Kafka group has `members` members; the rest answers nothing useful. */
function fakeSources(members: number): ConsoleSources {
  const admin = {
    describeGroups: async () => ({
      groups: [{ groupId: 'g', state: 'Stable', members: Array(members).fill({}) }],
    }),
    listTopics: async () => ['t'],
    fetchTopicOffsets: async () => [{ partition: 0, offset: '5', low: '0', high: '5' }],
    setOffsets: async () => undefined,
  } as unknown as Admin;
  return {
    names: { topic: 't', deadLetterTopic: 't.dlq', keyspace: 'k', database: 'd', groupId: 'g' },
    kafkaVersion: '4.3.1',
    admin: async () => admin,
    stack: async () => ({ services: [] }),
    eventSources: {
      list: async () => [],
      setEnabled: async () => {
        throw new ConsoleError('no mapping API', 503, { code: 'EVENT_SOURCES_UNAVAILABLE' });
      },
    },
  } as unknown as ConsoleSources;
}

function app(members = 0) {
  const feed = startLiveFeed({
    read: async () => ({ counts, times: {} }),
    latency: () => ({ p50Ms: 40, p99Ms: 90, samples: 3 }),
    errors: () => [],
    functionLogs: false,
    now: () => new Date(0),
    intervalMs: 60_000,
  });
  const metrics = createMetrics({ topic: 't' });
  const built = createApp({
    sources: fakeSources(members),
    feed,
    metrics,
    page: { html: '<!doctype html><title>x</title>', js: 'x', css: 'y' },
    token,
    port: () => port,
    log: (line) => lines.push(line),
    now: () => new Date(0),
  });
  return { ...built, feed, metrics };
}

afterEach(() => {
  lines.length = 0;
});

describe('the console server', () => {
  it('refuses an action without the token, logs it, and changes nothing', async () => {
    const { app: server } = app();

    const res = await server.inject({
      method: 'POST',
      url: '/api/kafka/groups/g/reset',
      headers: { host },
      payload: { topic: 't', to: 'earliest' },
    });

    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'TOKEN_REQUIRED' } });
    expect(lines).toEqual([
      "[console] action refused: POST /api/kafka/groups/g/reset without the start's token",
    ]);
  });

  it('refuses a wrong token as well', async () => {
    const { app: server } = app();

    const res = await server.inject({
      method: 'POST',
      url: '/api/event-sources/u',
      headers: { host, 'x-console-token': 'nope' },
      payload: { enabled: false },
    });

    expect(res.statusCode).toBe(401);
  });

  it('refuses a reset while the group has members, with the fix in the message', async () => {
    const { app: server } = app(1);

    const res = await server.inject({
      method: 'POST',
      url: '/api/kafka/groups/g/reset',
      headers: { host, 'x-console-token': token },
      payload: { topic: 't', to: 'earliest' },
    });

    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('GROUP_HAS_MEMBERS');
    expect(res.json().error.message).toContain('Disable the event source first');
    expect(lines[0]).toMatch(/^\[console\] action reset group g on t to earliest: failed: /);
  });

  it('resets a group without members, and logs the action on one line', async () => {
    const { app: server } = app(0);

    const res = await server.inject({
      method: 'POST',
      url: '/api/kafka/groups/g/reset',
      headers: { host, 'x-console-token': token },
      payload: { topic: 't', to: 'earliest' },
    });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ groupId: 'g', topic: 't', partitions: [{ partition: 0, offset: '0' }] });
    expect(lines).toEqual(['[console] action reset group g on t to earliest: p0@0']);
  });

  it('answers 400 for a body that is not the contract', async () => {
    const { app: server } = app();

    const res = await server.inject({
      method: 'POST',
      url: '/api/kafka/groups/g/reset',
      headers: { host, 'x-console-token': token },
      payload: { topic: 't', to: 'yesterday' },
    });

    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_REQUEST');
  });

  it('refuses requests addressed to another host name (DNS rebinding)', async () => {
    const { app: server } = app();

    const res = await server.inject({
      method: 'GET',
      url: '/api/stack',
      headers: { host: 'evil.example:3399' },
    });

    expect(res.statusCode).toBe(403);
  });

  it('serves the page and its bundle, with no caching and a content security policy', async () => {
    const { app: server } = app();

    const page = await server.inject({ method: 'GET', url: '/', headers: { host } });
    const js = await server.inject({ method: 'GET', url: '/app.js', headers: { host: `localhost:${port}` } });

    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.body).toBe('x');
  });

  it('passes a typed error on with its status and code', async () => {
    const { app: server } = app();

    const res = await server.inject({
      method: 'POST',
      url: '/api/event-sources/u',
      headers: { host, 'x-console-token': token },
      payload: { enabled: false },
    });

    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: { code: 'EVENT_SOURCES_UNAVAILABLE', message: 'no mapping API' } });
  });

  it('serves /metrics with the counts as gauges after a reading', async () => {
    const { app: server, feed, metrics } = app();
    await feed.tick();
    const snapshot = feed.latest();
    if (snapshot === undefined) throw new Error('the feed read nothing');
    metrics.update(snapshot);
    metrics.observeLatency(120);
    feed.stop();

    const res = await server.inject({ method: 'GET', url: '/metrics', headers: { host } });

    expect(res.body).toContain('pipeline_cassandra_rows{topic="t"} 8');
    expect(res.body).toContain('pipeline_consumer_lag{partition="0",topic="t"} 2');
    expect(res.body).toContain('pipeline_end_to_end_latency_seconds_count{topic="t"} 1');
  });

  it("serves each mapping's published metrics, and none while no mapping API answers", async () => {
    const mapping = {
      uuid: 'u-1',
      functionName: 'sink-users',
      topic: 't',
      groupId: 'g',
      state: 'Enabled' as const,
      metricsConfig: ['KafkaMetrics' as const],
      metrics: { SumOffsetLag: 7, MaxOffsetLag: null },
      invocations: [],
    };
    const published = createMetrics({ topic: 't' }, async () => [mapping]);
    const down = createMetrics({ topic: 't' }, async () => {
      throw new Error('ECONNREFUSED');
    });
    const silent = createMetrics({ topic: 't' }, () => new Promise(() => {}));

    const text = await published.registry.metrics();
    const none = await down.registry.metrics();
    const started = Date.now();
    const hung = await silent.registry.metrics();
    const waitedMs = Date.now() - started;

    expect(text).toContain(
      'pipeline_event_source_mapping_metric{function="sink-users",uuid="u-1",metric="SumOffsetLag",topic="t"} 7',
    );
    // A lag Kafka could not read is left out, not shown as 0.
    expect(text).not.toContain('metric="MaxOffsetLag"');
    expect(none).not.toContain('pipeline_event_source_mapping_metric{');
    // A mapping API that never answers costs the scrape its series, not the scrape itself.
    expect(hung).toContain('pipeline_cassandra_rows');
    expect(hung).not.toContain('pipeline_event_source_mapping_metric{');
    expect(waitedMs).toBeLessThan(5_000);
  });
});

describe('errorReply', () => {
  it('hides nothing of a typed error but credentials, and turns anything else into a 500', () => {
    expect(errorReply(new ConsoleError('bad password=x', 400, { code: 'BAD_REQUEST' }))).toEqual({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: 'bad password=••••••' } },
    });
    expect(errorReply(new Error('boom'))).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'boom' } },
    });
  });
});
