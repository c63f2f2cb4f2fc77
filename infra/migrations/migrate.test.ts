import { describe, expect, it } from 'vitest';
import { renderReplication } from './cassandra.ts';
import { planTopic } from './kafka.ts';
import {
  formatSummary,
  MigrationError,
  MigrationFailedError,
  parseTargets,
  ServerUnreachableError,
} from './migrate.ts';
import { autovacuumWarning } from './postgres.ts';

describe('parseTargets', () => {
  it('accepts a comma-separated subset, dropping repeats', () => {
    expect(parseTargets('kafka, postgres,kafka')).toEqual(['kafka', 'postgres']);
  });

  it.each([
    ['mysql', 'unknown target "mysql"'],
    [' , ', 'no target given'],
  ])('rejects %j', (list, message) => {
    expect(() => parseTargets(list)).toThrow(message);
  });
});

describe('planTopic', () => {
  it('creates a missing topic, grows a smaller one and never shrinks a larger one', () => {
    expect(planTopic(6, undefined)).toBe('create');
    expect(planTopic(6, 2)).toBe('increase');
    expect(planTopic(6, 6)).toBe('present');
    expect(planTopic(1, 3)).toBe('present');
  });
});

describe('renderReplication', () => {
  it('renders a CQL map with quoted keys and values', () => {
    expect(renderReplication({ class: 'SimpleStrategy', replication_factor: 1 })).toBe(
      "{'class': 'SimpleStrategy', 'replication_factor': '1'}",
    );
    expect(renderReplication({ class: 'NetworkTopologyStrategy', "eu'west": 3 })).toBe(
      "{'class': 'NetworkTopologyStrategy', 'eu''west': '3'}",
    );
  });
});

describe('formatSummary', () => {
  it('prints one line per target, saying what changed', () => {
    const lines = formatSummary({
      changed: true,
      postgres: {
        endpoint: '127.0.0.1:5432',
        database: 'pipeline',
        databaseCreated: true,
        applied: [{ version: 1, name: 'users_raw', file: 'f', durationMs: 3 }],
        present: [],
      },
      cassandra: {
        endpoint: '127.0.0.1:9042',
        keyspace: 'spark_streams',
        keyspaceCreated: false,
        applied: [],
        present: [{ version: 1, name: 'created_users', file: 'f' }],
      },
      kafka: {
        endpoint: '127.0.0.1:9092',
        topics: [
          { topic: 'a', action: 'increased', partitions: 6, required: 6, previousPartitions: 2 },
          { topic: 'b', action: 'present', partitions: 3, required: 1 },
        ],
      },
    });

    expect(lines).toEqual([
      'postgres   database pipeline at 127.0.0.1:5432: database created; applied 0001_users_raw',
      'cassandra  keyspace spark_streams at 127.0.0.1:9042: up to date; 1 already applied',
      'kafka      topics at 127.0.0.1:9092: a increased 2 -> 6 partitions; b present (3 partitions, more than the 1 required)',
    ]);
  });
});

describe('MigrationFailedError', () => {
  it('lists every failed target and is retryable only if every failure is', () => {
    const down = new ServerUnreachableError('Kafka', '127.0.0.1:9092', new Error('connect ECONNREFUSED'));
    const broken = new MigrationError('bad file');

    const both = new MigrationFailedError(
      [
        { target: 'kafka', error: down },
        { target: 'postgres', error: broken },
      ],
      { changed: false },
    );

    expect(both.message).toBe(
      'migration failed: kafka: Kafka is not reachable at 127.0.0.1:9092: connect ECONNREFUSED; postgres: bad file',
    );
    expect(both.retryable).toBe(false);
    expect(new MigrationFailedError([{ target: 'kafka', error: down }], { changed: false }).retryable).toBe(
      true,
    );
    expect(new MigrationFailedError([{ target: 'kafka', error: down }], { changed: false }).cause).toBe(down);
  });
});

describe('autovacuumWarning', () => {
  it('is printed under the postgres line of the summary', () => {
    const warning = autovacuumWarning('off') as string;
    const lines = formatSummary({
      changed: false,
      postgres: {
        endpoint: '127.0.0.1:5432',
        database: 'pipeline',
        databaseCreated: false,
        applied: [],
        present: [],
        warnings: [warning],
      },
    });

    expect(lines).toEqual([
      'postgres   database pipeline at 127.0.0.1:5432: up to date',
      `postgres   warning: ${warning}`,
    ]);
  });

  it('warns, naming the setting and the manual way out, only when the server has autovacuum off', () => {
    expect(autovacuumWarning('off')).toMatch(/autovacuum is off.*autovacuum = on.*VACUUM outbox/);
    expect(autovacuumWarning('on')).toBeUndefined();
    expect(autovacuumWarning(undefined)).toBeUndefined();
  });
});
