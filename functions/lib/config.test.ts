import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';
import { ConfigError } from './errors.ts';

/** Calls `parseConfig` and returns the ConfigError it throws. */
function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('parseConfig did not throw');
}

describe('parseConfig', () => {
  it('defaults every setting to the local stack', () => {
    const config = parseConfig({});

    expect(config).toEqual({
      service: 'realtime-user-pipeline',
      stage: 'local',
      logLevel: 'INFO',
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'realtime-user-pipeline' },
      cassandra: {
        contactPoints: ['127.0.0.1:9042'],
        localDataCenter: 'datacenter1',
        keyspace: 'spark_streams',
      },
      postgres: { host: '127.0.0.1', port: 5432, user: undefined, database: 'pipeline' },
      eventBridge: { busName: 'default', endpoint: undefined },
    });
  });

  it('reads every setting it is given', () => {
    const env = {
      STAGE: 'prod',
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: ' b-1.example:9092, b-2.example:9092 ,',
      KAFKA_CLIENT_ID: 'pipeline-prod',
      CASSANDRA_CONTACT_POINTS: 'c-1.example,c-2.example:9142',
      CASSANDRA_LOCAL_DC: 'eu-west-1',
      CASSANDRA_KEYSPACE: 'users_prod',
      PGHOST: 'db.example',
      PGPORT: '6432',
      PGUSER: 'pipeline',
      PGDATABASE: 'pipeline_prod',
      EVENT_BUS_NAME: 'pipeline-bus',
      EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:4010',
    };

    const config = parseConfig(env);

    expect(config).toEqual({
      service: 'realtime-user-pipeline',
      stage: 'prod',
      logLevel: 'WARN',
      kafka: { brokers: ['b-1.example:9092', 'b-2.example:9092'], clientId: 'pipeline-prod' },
      cassandra: {
        contactPoints: ['c-1.example', 'c-2.example:9142'],
        localDataCenter: 'eu-west-1',
        keyspace: 'users_prod',
      },
      postgres: { host: 'db.example', port: 6432, user: 'pipeline', database: 'pipeline_prod' },
      eventBridge: { busName: 'pipeline-bus', endpoint: 'http://127.0.0.1:4010' },
    });
  });

  it('treats an empty variable as unset', () => {
    const config = parseConfig({ PGUSER: '', EVENTBRIDGE_ENDPOINT: '', PGPORT: '' });

    expect(config.postgres.user).toBeUndefined();
    expect(config.postgres.port).toBe(5432);
    expect(config.eventBridge.endpoint).toBeUndefined();
  });

  it('ignores variables it does not know', () => {
    const config = parseConfig({ PATH: '/usr/bin', HOME: '/root' });

    expect(config).not.toHaveProperty('PATH');
  });

  it.each([
    ['PGPORT', '70000'],
    ['PGPORT', 'five'],
    ['LOG_LEVEL', 'LOUD'],
    ['KAFKA_BROKERS', 'broker-without-port'],
    ['KAFKA_BROKERS', ' , '],
    ['CASSANDRA_KEYSPACE', 'spark-streams; DROP'],
    ['EVENTBRIDGE_ENDPOINT', 'null'],
    ['STAGE', 'my stage'],
  ])('throws a ConfigError naming %s when it is %j', (name, value) => {
    const error = configErrorOf({ [name]: value });

    expect(error.settings).toEqual([name]);
    expect(error.message).toContain(name);
    expect(error.retryable).toBe(false);
  });

  it('names every bad setting, not their values', () => {
    const error = configErrorOf({ PGPORT: '0', KAFKA_BROKERS: '127.0.0.1:9092,s3cret-host' });

    expect(error.settings).toEqual(expect.arrayContaining(['PGPORT', 'KAFKA_BROKERS']));
    expect(error.message).toContain('KAFKA_BROKERS[1]');
    expect(error.message).not.toContain('s3cret');
  });
});
