import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ConfigError, TransientError } from './errors.ts';
import { createPool, pgPassword, pgSsl } from './postgres.ts';
import { type CredentialsReader, createCredentialsReader, type SecretSource } from './secrets.ts';

const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-pipeline-AbCdEf';
const source = (value: unknown): SecretSource => ({ get: async () => value });
const sdkError = (name: string) => Object.assign(new Error(`${name} happened`), { name });

describe('createCredentialsReader', () => {
  it('reads username and password from a JSON secret, asking for the configured cache age', async () => {
    const asked: unknown[] = [];
    const reader = createCredentialsReader(
      { secrets: { maxAgeSeconds: 120 } },
      {
        get: async (name, options) => {
          asked.push({ name, ...options });
          return { username: 'pipeline', password: 's3cret', engine: 'postgres' };
        },
      },
    );

    const credentials = await reader.credentials(arn, 'PG_SECRET_ARN');

    expect(credentials).toEqual({ username: 'pipeline', password: 's3cret' });
    expect(asked).toEqual([{ name: arn, maxAge: 120, transform: 'json' }]);
  });

  it('caches through Powertools: two reads within the age make one Secrets Manager call', async () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    let calls = 0;
    client.send = (async () => {
      calls++;
      return { SecretString: JSON.stringify({ username: 'pipeline', password: 'pw' }) };
    }) as typeof client.send;
    const reader = createCredentialsReader(
      { secrets: { maxAgeSeconds: 300 } },
      new SecretsProvider({ awsSdkV3Client: client }),
    );

    await reader.credentials(arn, 'PG_SECRET_ARN');
    await reader.credentials(arn, 'PG_SECRET_ARN');

    expect(calls).toBe(1);
  });

  it('throws a ConfigError naming the setting, not the value, for a secret without a password', async () => {
    const reader = createCredentialsReader(
      { secrets: { maxAgeSeconds: 1 } },
      source({ username: 'pipeline', pass: 'hunter2' }),
    );

    const error = await reader.credentials(arn, 'PG_SECRET_ARN').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ settings: ['PG_SECRET_ARN'], retryable: false });
    expect(String(error)).not.toContain('hunter2');
  });

  it.each([
    ['AccessDeniedException', ConfigError],
    ['ResourceNotFoundException', ConfigError],
    ['ThrottlingException', TransientError],
    ['InternalServiceError', TransientError],
  ])('sorts %s from Secrets Manager', async (name, type) => {
    const reader = createCredentialsReader(
      { secrets: { maxAgeSeconds: 1 } },
      {
        get: async () => {
          throw new Error('wrapped', { cause: sdkError(name) });
        },
      },
    );

    await expect(reader.credentials(arn, 'PG_SECRET_ARN')).rejects.toBeInstanceOf(type);
  });
});

describe('PostgreSQL security', () => {
  it.each([
    ['disable', false],
    ['require', { rejectUnauthorized: false }],
    ['verify-full', { rejectUnauthorized: true }],
  ] as const)('maps PGSSLMODE=%s to pg TLS options', (mode, expected) => {
    expect(pgSsl(mode)).toEqual(expected);
  });

  it('reads the password per connection, and refuses a secret of another user, naming PGUSER', async () => {
    let reads = 0;
    const reader: CredentialsReader = {
      credentials: async () => {
        reads++;
        return { username: reads === 1 ? 'pipeline' : 'someone-else', password: `pw-${reads}` };
      },
    };
    const password = pgPassword(arn, 'pipeline', reader);

    await expect(password()).resolves.toBe('pw-1');
    await expect(password()).rejects.toMatchObject({ settings: ['PGUSER', 'PG_SECRET_ARN'] });
  });

  it('builds a local pool with no password and no TLS, as before', () => {
    const pool = createPool({
      service: 'test',
      postgres: { host: '127.0.0.1', port: 5432, user: undefined, database: 'pipeline' },
    });

    expect(pool.options).toMatchObject({ ssl: false });
    expect(pool.options).not.toHaveProperty('password');
  });

  it("survives an idle connection's error instead of ending the process", () => {
    const pool = createPool({
      service: 'test',
      postgres: { host: '127.0.0.1', port: 5432, user: undefined, database: 'pipeline' },
    });

    // Without a listener, EventEmitter throws an 'error' event: under serverless-offline that throw ended
    // every function when PostgreSQL dropped an idle connection.
    expect(() => pool.emit('error', new Error('Connection terminated unexpectedly'))).not.toThrow();
  });
});
