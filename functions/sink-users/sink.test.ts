// Unit tests of the Cassandra sink in functions/lib/cassandra.ts: how driver failures are sorted into
// "retry the batch", "fail the invocation" and "dead-letter the row". No server is contacted.
import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import {
  CassandraStatementError,
  CassandraWriteError,
  cassandraErrorCode,
  classifyCassandraError,
  createCassandraClient,
  upsertOutcome,
} from '../lib/cassandra.ts';
import { TransientError } from '../lib/errors.ts';
import { userSchema } from '../lib/schemas.ts';
import { toCreatedUserRow } from '../lib/users-created.ts';

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

describe('createCassandraClient', () => {
  it('marks every query idempotent and prepared, since executeConcurrent passes neither through', () => {
    const client = createCassandraClient({
      cassandra: { contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1', keyspace: 'ks' },
    });

    // `options` is the driver's resolved configuration; its typings leave it out.
    expect(Reflect.get(client, 'options')).toMatchObject({
      queryOptions: { isIdempotent: true, prepare: true },
    });
    expect(client.keyspace).toBe('ks');
  });
});
