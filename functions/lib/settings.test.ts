import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { parseConfig } from './settings.ts';

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

const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-pipeline-AbCdEf';

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
      fetch: {
        url: 'http://127.0.0.1:3100/api/1.4/',
        total: 1000,
        pageSize: 5000,
        nat: undefined,
        timeoutMs: 15_000,
        maxAttempts: 6,
        maxResponseBytes: 16 * 1024 * 1024,
      },
      topics: { usersCreated: 'users_created', deadLetter: 'users_created.dlq' },
      schemaRegistry: { url: undefined },
      relay: { batchSize: 500, maxMessageBytes: 1_048_000, timeMarginMs: 5_000 },
      sink: { concurrency: 128, batchSize: 10, writeAttempts: 3 },
      kafkaSecurity: { tls: false, auth: { mechanism: 'none' } },
      cassandraSecurity: { tls: false, auth: { mechanism: 'none' } },
      postgresSecurity: { sslMode: 'disable', secretArn: undefined },
      secrets: { maxAgeSeconds: 300 },
    });
  });

  it('reads every setting it is given', () => {
    const env = {
      STAGE: 'prod',
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: ' b-1.example:9092, b-2.example:9092 ,',
      KAFKA_CLIENT_ID: 'pipeline-prod',
      CASSANDRA_CONTACT_POINTS: 'c-1.example:9142,c-2.example:9142',
      CASSANDRA_LOCAL_DC: 'eu-west-1',
      CASSANDRA_KEYSPACE: 'users_prod',
      PGHOST: 'db.example',
      PGPORT: '6432',
      PGUSER: 'pipeline',
      PGDATABASE: 'pipeline_prod',
      EVENT_BUS_NAME: 'pipeline-bus',
      EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:4010',
      RANDOMUSER_URL: 'https://randomuser.me/api/1.4/',
      FETCH_TOTAL: '20000',
      FETCH_PAGE_SIZE: '2500',
      FETCH_NAT: 'GB,FR',
      FETCH_TIMEOUT_MS: '30000',
      FETCH_MAX_ATTEMPTS: '3',
      FETCH_MAX_RESPONSE_BYTES: '8388608',
      KAFKA_TOPIC: 'users_created_prod',
      KAFKA_DLQ_TOPIC: 'users_created_prod.dlq',
      KAFKA_MAX_MESSAGE_BYTES: '2000000',
      OUTBOX_BATCH_SIZE: '1000',
      RELAY_TIME_MARGIN_MS: '3000',
      SINK_CONCURRENCY: '256',
      CASSANDRA_BATCH_SIZE: '30',
      CASSANDRA_WRITE_ATTEMPTS: '5',
      AWS_REGION: 'eu-west-1',
      KAFKA_AUTH: 'iam',
      CASSANDRA_AUTH: 'sigv4',
      PGSSLMODE: 'verify-full',
      PG_SECRET_ARN: secretArn,
      SECRETS_MAX_AGE_SECONDS: '60',
      SCHEMA_REGISTRY_URL: 'https://registry.example.com/apis/ccompat/v7',
    };

    const config = parseConfig(env);

    expect(config).toEqual({
      service: 'realtime-user-pipeline',
      stage: 'prod',
      logLevel: 'WARN',
      kafka: { brokers: ['b-1.example:9092', 'b-2.example:9092'], clientId: 'pipeline-prod' },
      cassandra: {
        contactPoints: ['c-1.example:9142', 'c-2.example:9142'],
        localDataCenter: 'eu-west-1',
        keyspace: 'users_prod',
      },
      postgres: { host: 'db.example', port: 6432, user: 'pipeline', database: 'pipeline_prod' },
      eventBridge: { busName: 'pipeline-bus', endpoint: 'http://127.0.0.1:4010' },
      fetch: {
        url: 'https://randomuser.me/api/1.4/',
        total: 20_000,
        pageSize: 2500,
        nat: 'GB,FR',
        timeoutMs: 30_000,
        maxAttempts: 3,
        maxResponseBytes: 8_388_608,
      },
      topics: { usersCreated: 'users_created_prod', deadLetter: 'users_created_prod.dlq' },
      schemaRegistry: { url: 'https://registry.example.com/apis/ccompat/v7' },
      relay: { batchSize: 1000, maxMessageBytes: 2_000_000, timeMarginMs: 3_000 },
      sink: { concurrency: 256, batchSize: 30, writeAttempts: 5 },
      kafkaSecurity: { tls: true, auth: { mechanism: 'iam', region: 'eu-west-1' } },
      cassandraSecurity: { tls: true, auth: { mechanism: 'sigv4', region: 'eu-west-1' } },
      postgresSecurity: { sslMode: 'verify-full', secretArn },
      secrets: { maxAgeSeconds: 60 },
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
    ['RANDOMUSER_URL', 'ftp://randomuser.me/'],
    ['FETCH_PAGE_SIZE', '5001'],
    ['FETCH_TOTAL', '0'],
    ['FETCH_NAT', 'GB;FR'],
    ['OUTBOX_BATCH_SIZE', '1.5'],
    ['CASSANDRA_BATCH_SIZE', '31'],
    ['CASSANDRA_BATCH_SIZE', '0'],
    ['CASSANDRA_WRITE_ATTEMPTS', '0'],
    ['KAFKA_AUTH', 'plain'],
    ['KAFKA_TLS', 'yes'],
    ['CASSANDRA_AUTH', 'password'],
    ['CASSANDRA_TLS', '1'],
    ['PGSSLMODE', 'prefer'],
    ['PG_SECRET_ARN', 'my-db-password'],
    ['KAFKA_SCRAM_SECRET_ARN', 'arn:aws:s3:::bucket'],
    ['AWS_REGION', 'Ireland'],
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

  describe('stage settings for AWS', () => {
    const aws = {
      AWS_REGION: 'eu-west-1',
      KAFKA_BROKERS: 'b-1.msk.example:9098',
      KAFKA_AUTH: 'iam',
      CASSANDRA_CONTACT_POINTS: 'cassandra.eu-west-1.amazonaws.com:9142',
      CASSANDRA_AUTH: 'sigv4',
      PGUSER: 'pipeline',
      PG_SECRET_ARN: secretArn,
      PGSSLMODE: 'verify-full',
    };

    it('accepts MSK IAM, Keyspaces SigV4 and RDS with a secret, with TLS on by default', () => {
      const config = parseConfig(aws);

      expect(config.kafkaSecurity).toEqual({ tls: true, auth: { mechanism: 'iam', region: 'eu-west-1' } });
      expect(config.cassandraSecurity).toEqual({
        tls: true,
        auth: { mechanism: 'sigv4', region: 'eu-west-1' },
      });
      expect(config.postgresSecurity).toEqual({ sslMode: 'verify-full', secretArn });
    });

    it('accepts SASL/SCRAM with its secret', () => {
      const scramArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_pipeline-XyZ123';

      const config = parseConfig({ ...aws, KAFKA_AUTH: 'scram', KAFKA_SCRAM_SECRET_ARN: scramArn });

      expect(config.kafkaSecurity).toEqual({ tls: true, auth: { mechanism: 'scram', secretArn: scramArn } });
    });

    it.each([
      ['AWS_REGION', { AWS_REGION: undefined }],
      ['AWS_REGION', { AWS_REGION: undefined, KAFKA_AUTH: 'none' }],
      ['KAFKA_TLS', { KAFKA_TLS: 'false' }],
      ['KAFKA_SCRAM_SECRET_ARN', { KAFKA_AUTH: 'scram' }],
      ['KAFKA_SCRAM_SECRET_ARN', { KAFKA_SCRAM_SECRET_ARN: secretArn }],
      ['CASSANDRA_TLS', { CASSANDRA_TLS: 'false' }],
      ['CASSANDRA_CONTACT_POINTS', { CASSANDRA_CONTACT_POINTS: 'cassandra.eu-west-1.amazonaws.com' }],
      ['CASSANDRA_CONTACT_POINTS', { CASSANDRA_CONTACT_POINTS: 'cassandra.eu-west-1.amazonaws.com:9042' }],
      ['PGUSER', { PGUSER: undefined }],
      ['PGSSLMODE', { PGSSLMODE: 'disable' }],
      ['PGSSLMODE', { PGSSLMODE: undefined }],
    ])('throws a ConfigError naming %s for a combination that cannot work (%j)', (name, change) => {
      const error = configErrorOf({ ...aws, ...change });

      expect(error.settings).toEqual([name]);
      expect(error.message).toContain(name);
    });
  });
});
