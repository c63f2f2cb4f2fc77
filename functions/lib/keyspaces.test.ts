import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import {
  cassandraSecurityOptions,
  createCassandraClient,
  createUserSink,
  isThrottling,
  planBatches,
} from './cassandra.ts';
import { TransientError } from './errors.ts';
import { challengeNonce, createSigV4AuthProvider, sigV4InitialResponse } from './keyspaces-auth.ts';
import type { RetryClock } from './retry.ts';
import { userSchema } from './schemas.ts';
import { toCreatedUserRow } from './users-created.ts';

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;

describe('planBatches', () => {
  it('splits rows into unlogged batches of at most the given size, in order', () => {
    expect(planBatches(65, 30).map((g) => g.length)).toEqual([30, 30, 5]);
    expect(planBatches(65, 30).flat()).toEqual(Array.from({ length: 65 }, (_, i) => i));
    expect(planBatches(3, 1)).toEqual([[0], [1], [2]]);
    expect(planBatches(0, 30)).toEqual([]);
  });

  it.each([0, 31, 1.5])('refuses a batch size of %s, outside Keyspaces’ 1 to 30', (size) => {
    expect(() => planBatches(10, size)).toThrow(RangeError);
  });
});

describe('isThrottling', () => {
  it.each([
    ['a write timeout', new errors.ResponseError(codes.writeTimeout, 'timeout'), true],
    ['overloaded', new errors.ResponseError(codes.overloaded, 'busy'), true],
    ['unavailable', new errors.ResponseError(codes.unavailableException, 'no'), true],
    ['a server error', new errors.ResponseError(codes.serverError, 'capacity'), true],
    ['a client timeout', new errors.OperationTimedOutError('timed out', 'h:9142'), true],
    ['no host', new errors.NoHostAvailableError({}), false],
    ['an invalid row', new errors.ResponseError(codes.invalid, 'bad value'), false],
  ])('is %s throttling: %s', (_what, error, expected) => {
    expect(isThrottling(error)).toBe(expected);
  });
});

describe('cassandraSecurityOptions', () => {
  it('adds nothing for the local stack', () => {
    expect(cassandraSecurityOptions({ tls: false, auth: { mechanism: 'none' } }, ['127.0.0.1:9042'])).toEqual(
      {},
    );
  });

  it('checks the Keyspaces certificate against the service host name, and signs with SigV4 for the region', () => {
    const regions: string[] = [];
    const provider = createSigV4AuthProvider({ region: 'eu-west-1' });

    const options = cassandraSecurityOptions(
      { tls: true, auth: { mechanism: 'sigv4', region: 'eu-west-1' } },
      ['cassandra.eu-west-1.amazonaws.com:9142'],
      (region) => {
        regions.push(region);
        return provider;
      },
    );

    expect(options.sslOptions).toEqual({
      rejectUnauthorized: true,
      servername: 'cassandra.eu-west-1.amazonaws.com',
    });
    expect(options.authProvider).toBe(provider);
    expect(regions).toEqual(['eu-west-1']);
  });

  it('builds a driver client that accepts the SigV4 provider (the driver checks its class)', () => {
    const client = createCassandraClient({
      cassandra: {
        contactPoints: ['cassandra.eu-west-1.amazonaws.com:9142'],
        localDataCenter: 'eu-west-1',
        keyspace: 'spark_streams',
      },
      cassandraSecurity: { tls: true, auth: { mechanism: 'sigv4', region: 'eu-west-1' } },
    });

    expect(Reflect.get(client, 'options')).toMatchObject({
      sslOptions: { rejectUnauthorized: true },
      queryOptions: { consistency: types.consistencies.localQuorum },
    });
  });
});

describe('Keyspaces SigV4 authenticator', () => {
  it('asks for SigV4, then answers the nonce with a signature made with the credentials', async () => {
    const provider = createSigV4AuthProvider({
      region: 'us-west-2',
      credentials: async () => ({ accessKeyId: 'UserID-1', secretAccessKey: 'UserSecretKey-1' }),
      now: () => new Date(1591742511000),
    });
    const authenticator = provider.newAuthenticator(
      'h:9142',
      'org.apache.cassandra.auth.PasswordAuthenticator',
    );
    const initial = await new Promise<Buffer | undefined>((resolve, reject) =>
      authenticator.initialResponse((e: Error | null, r?: Buffer) => (e ? reject(e) : resolve(r))),
    );

    const response = await new Promise<Buffer | undefined>((resolve, reject) =>
      authenticator.evaluateChallenge(
        Buffer.from('nonce=91703fdc2ef562e19fbdab0f58e42fe5'),
        (e: Error | null, r?: Buffer) => (e ? reject(e) : resolve(r)),
      ),
    );

    expect(initial).toEqual(sigV4InitialResponse);
    expect(response?.toString()).toMatch(
      /^signature=[0-9a-f]{64},access_key=UserID-1,amzdate=2020-06-09T22:41:51\.000Z$/,
    );
  });

  it('reads the nonce of a challenge, or none', () => {
    expect(challengeNonce(Buffer.from('nonce=abc,other=1'))).toBe('abc');
    expect(challengeNonce(Buffer.from('no nonce here'))).toBeUndefined();
  });
});

describe('createUserSink against a fake driver client', () => {
  const rows = fixtureUsers()
    .slice(0, 5)
    .map((raw) => toCreatedUserRow(userSchema.parse(raw)));
  const clock = (): RetryClock & { slept: number[] } => {
    const slept: number[] = [];
    return { slept, now: () => 0, sleep: async (ms) => void slept.push(ms), random: () => 0.5 };
  };

  /** A client whose execute and batch answer from scripts, recording what they were called with. */
  function fakeClient(answer: (kind: 'execute' | 'batch', size: number, call: number) => Error | undefined) {
    const calls: Array<{ kind: string; size: number; logged?: boolean }> = [];
    const client = {
      execute: async () => {
        calls.push({ kind: 'execute', size: 1 });
        const error = answer('execute', 1, calls.length);
        if (error) throw error;
        return { rows: [] };
      },
      batch: async (queries: unknown[], options: { logged?: boolean }) => {
        calls.push({ kind: 'batch', size: queries.length, logged: options.logged });
        const error = answer('batch', queries.length, calls.length);
        if (error) throw error;
        return { rows: [] };
      },
    };
    return { client: client as unknown as cassandra.Client, calls };
  }

  it('writes unlogged batches of the configured size', async () => {
    const { client, calls } = fakeClient(() => undefined);
    const sink = createUserSink(
      client,
      { sink: { concurrency: 4, batchSize: 2, writeAttempts: 3 } },
      clock(),
    );

    const outcome = await sink.upsert(rows);

    expect(outcome).toEqual({ written: 5, failures: [] });
    expect(calls).toEqual([
      { kind: 'batch', size: 2, logged: false },
      { kind: 'batch', size: 2, logged: false },
      { kind: 'execute', size: 1 },
    ]);
  });

  it('backs off and tries throttled writes again, then succeeds', async () => {
    const { client, calls } = fakeClient((_kind, _size, call) =>
      call <= 2 ? new errors.ResponseError(codes.writeTimeout, 'throttled') : undefined,
    );
    const fake = clock();
    const sink = createUserSink(client, { sink: { concurrency: 1, batchSize: 1, writeAttempts: 3 } }, fake);

    const outcome = await sink.upsert(rows.slice(0, 2));

    expect(outcome).toEqual({ written: 2, failures: [] });
    expect(calls).toHaveLength(4);
    expect(fake.slept).toEqual([50]);
  });

  it('fails with a retryable error when throttling outlasts the attempts', async () => {
    const { client, calls } = fakeClient(() => new errors.ResponseError(codes.overloaded, 'slow down'));
    const fake = clock();
    const sink = createUserSink(client, { sink: { concurrency: 2, batchSize: 1, writeAttempts: 3 } }, fake);

    await expect(sink.upsert(rows.slice(0, 2))).rejects.toBeInstanceOf(TransientError);
    expect(calls).toHaveLength(6);
    expect(fake.slept).toHaveLength(2);
  });

  it('rewrites a batch refused for a row’s values row by row, so only that row fails', async () => {
    const bad = new errors.ResponseError(codes.invalid, 'bad value');
    const { client } = fakeClient((kind, _size, call) =>
      kind === 'batch' ? bad : call === 3 ? bad : undefined,
    );
    const sink = createUserSink(
      client,
      { sink: { concurrency: 1, batchSize: 3, writeAttempts: 1 } },
      clock(),
    );

    const outcome = await sink.upsert(rows.slice(0, 3));

    expect(outcome.written).toBe(2);
    expect(outcome.failures.map((f) => f.index)).toEqual([1]);
  });
});
