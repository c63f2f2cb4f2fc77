// Unit tests of sink-users' write policy (sink.ts): how driver failures are sorted into "retry the batch",
// "fail the invocation" and "dead-letter the row", the batching, and the backoff of throttled writes, against
// a fake driver client. No server is contacted.
import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { TransientError } from '../lib/errors.ts';
import type { RetryClock } from '../lib/retry.ts';
import { userSchema } from '../lib/schemas.ts';
import { toCreatedUserRow } from '../lib/users-created.ts';
import {
  CassandraStatementError,
  CassandraWriteError,
  cassandraErrorCode,
  classifyCassandraError,
  createUserSink,
  isThrottling,
  planBatches,
  upsertOutcome,
} from './sink.ts';

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;
const response = (code: number, message = 'refused') => new errors.ResponseError(code, message);

const rows = fixtureUsers()
  .slice(0, 3)
  .map((raw) => toCreatedUserRow(userSchema.parse(raw)));
const ok = { rows: [] };

describe('classifyCassandraError', () => {
  it.each([
    ['no host available', new errors.NoHostAvailableError({})],
    ['a client timeout', new errors.OperationTimedOutError('timed out', '127.0.0.1:9042')],
    ['busy connections', new errors.BusyConnectionError('127.0.0.1:9042', 2048, 1)],
    ['unavailable', response(codes.unavailableException)],
    ['a write timeout', response(codes.writeTimeout)],
    ['a read timeout', response(codes.readTimeout)],
    ['overloaded', response(codes.overloaded)],
    ['bootstrapping', response(codes.isBootstrapping)],
    ['a truncate error', response(codes.truncateError)],
    ['a write failure', response(codes.writeFailure)],
    ['a server error', response(codes.serverError)],
    ['a socket error', Object.assign(new Error('socket hang up'), { isSocketError: true })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ])('calls %s transient', (_, error) => {
    expect(classifyCassandraError(error)).toBe('transient');
  });

  it.each([
    ['a syntax error', response(codes.syntaxError)],
    ['unauthorized', response(codes.unauthorized)],
    ['a config error', response(codes.configError)],
    ['bad credentials', response(codes.badCredentials)],
    ['an authentication error', new errors.AuthenticationError('no')],
    ['an argument error', new errors.ArgumentError('wrong number of parameters')],
  ])('calls %s a statement failure', (_, error) => {
    expect(classifyCassandraError(error)).toBe('statement');
  });

  it.each([
    ['an invalid request', response(codes.invalid, 'Key length of 70000 is longer than maximum')],
    ['an encoding error', new TypeError('Not a valid timestamp')],
  ])('calls %s a row failure', (_, error) => {
    expect(classifyCassandraError(error)).toBe('row');
  });
});

describe('cassandraErrorCode', () => {
  it('names server errors by their protocol code and driver errors by their class', () => {
    expect(cassandraErrorCode(response(codes.writeTimeout))).toBe('CASSANDRA_WRITE_TIMEOUT');
    expect(cassandraErrorCode(response(codes.invalid))).toBe('CASSANDRA_INVALID');
    expect(cassandraErrorCode(new errors.NoHostAvailableError({}))).toBe('CASSANDRA_NO_HOST_AVAILABLE');
    expect(cassandraErrorCode('?')).toBe('CASSANDRA_UNKNOWN');
  });
});

describe('upsertOutcome', () => {
  it('counts every row written when none failed', () => {
    expect(upsertOutcome(rows, [ok, ok, ok])).toEqual({ written: 3, failures: [] });
  });

  it('reports a row refused for good by its position and id, next to written rows', () => {
    const outcome = upsertOutcome(rows, [ok, response(codes.invalid, 'bad value'), ok]);

    expect(outcome.written).toBe(2);
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.failures[0]).toMatchObject({ index: 1, id: rows[1]?.id });
    expect(outcome.failures[0]?.error).toBeInstanceOf(CassandraWriteError);
    expect(outcome.failures[0]?.error).toMatchObject({ code: 'CASSANDRA_INVALID', retryable: false });
  });

  it('throws a TransientError when any row failed transiently, even next to a refused row', () => {
    const act = () => upsertOutcome(rows, [response(codes.invalid), ok, response(codes.writeTimeout)]);

    expect(act).toThrow(TransientError);
    expect(act).toThrow(expect.objectContaining({ code: 'CASSANDRA_WRITE_TIMEOUT', retryable: true }));
  });

  it.each([
    'unconfigured table created_users',
    'Keyspace spark_streams does not exist',
    'Undefined column name nationality',
  ])('throws a CassandraStatementError, dead-lettering nothing, for a schema problem: %s', (message) => {
    const act = () => upsertOutcome(rows, [ok, response(codes.invalid, message), ok]);

    expect(act).toThrow(CassandraStatementError);
    expect(act).toThrow(expect.objectContaining({ retryable: false }));
  });

  it('dead-letters a lone row refused for its value, so it cannot block its partition', () => {
    const single = rows.slice(0, 1);

    const outcome = upsertOutcome(single, [response(codes.invalid, 'bad value')]);

    expect(outcome).toMatchObject({ written: 0, failures: [{ index: 0, id: single[0]?.id }] });
  });

  it('throws a CassandraStatementError for a statement failure even when other rows were written', () => {
    expect(() => upsertOutcome(rows, [ok, response(codes.unauthorized), ok])).toThrow(
      CassandraStatementError,
    );
  });
});

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
