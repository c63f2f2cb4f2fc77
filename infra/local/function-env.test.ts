import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../../functions/lib/settings.ts';
import { repoRoot } from '../../lib/paths.ts';
import { loadStackConfig } from './config.ts';
import { postgresEndpointFile } from './endpoints.ts';
import { functionEnv, localEventBusEndpoint, stackOverrides } from './function-env.ts';

const server = { host: '127.0.0.1', port: 55432, user: 'me', database: 'recorded' };

/** The settings serverless.yml gives every function, and the variables its whole text reads. */
function serverlessYml() {
  const text = readFileSync(join(repoRoot, 'serverless.yml'), 'utf8');
  const { provider } = z
    .object({ provider: z.object({ environment: z.record(z.string(), z.unknown()) }) })
    .parse(parse(text));
  return {
    functionSettings: new Set(Object.keys(provider.environment)),
    reads: new Set([...text.matchAll(/\benv:([A-Z0-9_]+)/g)].map((m) => m[1])),
  };
}

// Where the stack's record would be; only the test of the record writes one, in a folder of its own.
const stateDir = join(tmpdir(), 'function-env-test-no-state');

describe('functionEnv', () => {
  it("points the functions at the stack's servers and the run's names", () => {
    const stack = loadStackConfig({
      LOCAL_STACK_DIR: stateDir,
      KAFKA_PORT: '19092',
      CASSANDRA_PORT: '19042',
      REGISTRY_PORT: '18081',
      LOCAL_EVENTBUS_PORT: '14010',
      LOCAL_EVENTBUS_PGHOST: '127.0.0.2',
      LOCAL_EVENTBUS_PGPORT: '15432',
    });

    const env = functionEnv(stack, {
      postgres: server,
      database: 'run_db',
      topic: 'run_users',
      deadLetterTopic: 'run_users.dlq',
      keyspace: 'run_ks',
      randomuserUrl: 'http://127.0.0.1:13100/api/1.4/',
      eventBridgeEndpoint: 'http://127.0.0.1:14010',
    });

    expect(env).toEqual({
      KAFKA_BROKERS: '127.0.0.1:19092',
      KAFKA_TOPIC: 'run_users',
      KAFKA_DLQ_TOPIC: 'run_users.dlq',
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:19042',
      CASSANDRA_LOCAL_DC: 'datacenter1',
      CASSANDRA_KEYSPACE: 'run_ks',
      PGHOST: '127.0.0.1',
      PGPORT: '55432',
      PGUSER: 'me',
      PGDATABASE: 'run_db',
      RANDOMUSER_URL: 'http://127.0.0.1:13100/api/1.4/',
      EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:14010',
      KAFKA_PORT: '19092',
      CASSANDRA_PORT: '19042',
      REGISTRY_PORT: '18081',
      LOCAL_STACK_DIR: stateDir,
      PIPELINE_PGDATABASE: 'run_db',
      LOCAL_EVENTBUS_PORT: '14010',
      LOCAL_EVENTBUS_PGHOST: '127.0.0.2',
      LOCAL_EVENTBUS_PGPORT: '15432',
    });
  });

  it('takes the names from the stack config, the database from it rather than the record, and no endpoints the run did not name', () => {
    const stack = loadStackConfig({
      LOCAL_STACK_DIR: stateDir,
      KAFKA_TOPIC: 'cfg_users',
      KAFKA_DLQ_TOPIC: 'cfg_users.dlq',
      CASSANDRA_KEYSPACE: 'cfg_ks',
      PIPELINE_PGDATABASE: 'cfg_db',
    });

    const env = functionEnv(stack, { postgres: server });

    expect(env).toMatchObject({
      KAFKA_TOPIC: 'cfg_users',
      KAFKA_DLQ_TOPIC: 'cfg_users.dlq',
      CASSANDRA_KEYSPACE: 'cfg_ks',
      PGDATABASE: 'cfg_db',
      PIPELINE_PGDATABASE: 'cfg_db',
    });
    expect(env).not.toHaveProperty('RANDOMUSER_URL');
    expect(env).not.toHaveProperty('EVENTBRIDGE_ENDPOINT');
    expect(env).not.toHaveProperty('LOCAL_EVENTBUS_PGHOST');
    expect(env).not.toHaveProperty('LOCAL_EVENTBUS_PGPORT');
  });

  it('finds PostgreSQL where the stack recorded it when the run names no server', async () => {
    const recorded = await mkdtemp(join(tmpdir(), 'function-env-'));
    try {
      const stack = loadStackConfig({ LOCAL_STACK_DIR: recorded, PGPORT: '5432' });
      await writeFile(postgresEndpointFile(stack), JSON.stringify({ ...server, managed: true }));

      const env = functionEnv(stack);

      expect(env).toMatchObject({
        PGHOST: '127.0.0.1',
        PGPORT: '55432',
        PGUSER: 'me',
        PGDATABASE: 'pipeline',
      });
    } finally {
      await rm(recorded, { recursive: true });
    }
  });

  it("is a configuration the functions accept, on the stack's servers", () => {
    const stack = loadStackConfig({ LOCAL_STACK_DIR: stateDir });

    const config = parseConfig(
      functionEnv(stack, { postgres: server, eventBridgeEndpoint: localEventBusEndpoint(stack) }),
    );

    expect(config.kafka.brokers).toEqual([`127.0.0.1:${stack.kafka.port}`]);
    expect(config.cassandra).toEqual({
      contactPoints: [`127.0.0.1:${stack.cassandra.port}`],
      localDataCenter: stack.cassandra.localDataCenter,
      keyspace: stack.pipeline.keyspace,
    });
    expect(config.postgres).toEqual({ host: '127.0.0.1', port: 55432, user: 'me', database: 'pipeline' });
    expect(config.topics).toEqual({
      usersCreated: stack.pipeline.topic,
      deadLetter: stack.pipeline.deadLetterTopic,
    });
    expect(config.eventBridge.endpoint).toBe(`http://127.0.0.1:${stack.eventBus.port}`);
  });

  it('names only settings serverless.yml gives the functions, or variables its local stage reads', () => {
    const stack = loadStackConfig({ LOCAL_STACK_DIR: stateDir });
    const { functionSettings, reads } = serverlessYml();

    const names = Object.keys(
      functionEnv(stack, { postgres: server, randomuserUrl: 'http://x/', eventBridgeEndpoint: 'http://y/' }),
    );

    expect(names.filter((name) => !functionSettings.has(name) && !reads.has(name))).toEqual([]);
    // What `sls offline start` needs to follow a run's names, rather than the stage's defaults.
    for (const name of ['PIPELINE_PGDATABASE', 'KAFKA_TOPIC', 'KAFKA_DLQ_TOPIC', 'CASSANDRA_KEYSPACE']) {
      expect(reads).toContain(name);
    }
  });

  it('lists the endpoint settings a run on the stack would override, and says what to set instead', () => {
    const stack = loadStackConfig({ LOCAL_STACK_DIR: stateDir, KAFKA_PORT: '19092' });

    const lines = stackOverrides(
      {
        KAFKA_BROKERS: 'kafka.example:9092',
        CASSANDRA_CONTACT_POINTS: `127.0.0.1:${stack.cassandra.port}`,
        CASSANDRA_LOCAL_DC: '',
        FETCH_TOTAL: '5',
      },
      stack,
    );

    expect(lines).toEqual([
      "KAFKA_BROKERS=kafka.example:9092: the functions use the stack's 127.0.0.1:19092; unset KAFKA_BROKERS (to move it: KAFKA_PORT)",
    ]);
    expect(stackOverrides({ CASSANDRA_LOCAL_DC: 'eu-west-1' }, stack)).toEqual([
      expect.stringMatching(/^CASSANDRA_LOCAL_DC=eu-west-1: the functions use the stack's datacenter1/),
    ]);
  });
});
