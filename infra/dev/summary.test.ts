import { describe, expect, it } from 'vitest';
import { countFetched, formatSummary } from './summary.ts';

describe('formatSummary', () => {
  it('prints every stage, the lag in total and per partition', () => {
    const line = formatSummary({
      fetched: 1000,
      busPending: 2,
      busDeadLettered: 1,
      stored: 1000,
      outboxPending: 3,
      published: 997,
      outboxDead: 0,
      lag: [
        { partition: 0, lag: 2 },
        { partition: 1, lag: 0 },
        { partition: 2, lag: 5 },
      ],
      cassandraRows: 990,
      deadLetters: 1,
    });

    expect(line).toBe(
      'fetched 1000 · bus 2 pending 1 dead-lettered · stored 1000 · outbox 3 pending · published 997 · lag 7 [p0:2 p1:0 p2:5] · cassandra 990 · dlq 1',
    );
  });

  it('prints ? for every stage that could not be read', () => {
    expect(formatSummary({ fetched: 0 })).toBe(
      'fetched 0 · bus ? pending ? dead-lettered · stored ? · outbox ? pending · published ? · lag ? · cassandra ? · dlq ?',
    );
  });

  it('prints ? for a count that is not a number', () => {
    expect(formatSummary({ fetched: 5, stored: Number.NaN })).toContain('stored ? ·');
  });

  it('names the dead outbox rows when there are any', () => {
    expect(formatSummary({ fetched: 1, outboxPending: 0, outboxDead: 4 })).toContain(
      'outbox 0 pending (4 dead) ·',
    );
  });

  it('prints an empty partition list for a topic with no partitions read', () => {
    expect(formatSummary({ fetched: 1, lag: [] })).toContain('lag 0 [] ·');
  });
});

describe('countFetched', () => {
  const runComplete = (received: unknown, service = 'fetch-users') =>
    JSON.stringify({ level: 'INFO', message: 'run complete', service, received, pages: 1 });

  it('adds the users a fetch-users run complete line reports', () => {
    expect(countFetched(runComplete(500), 1000)).toBe(1500);
  });

  it('reads a line with a prefix before the JSON, as serverless-offline prints it', () => {
    expect(countFetched(`(λ: fetchUsers) ${runComplete(20)}`, 0)).toBe(20);
  });

  it('sums over several lines', () => {
    const lines = [runComplete(100), 'plain text', runComplete(250)];

    expect(lines.reduce((total, line) => countFetched(line, total), 0)).toBe(350);
  });

  it.each([
    ['another message', JSON.stringify({ message: 'page published', service: 'fetch-users', received: 7 })],
    ['another service', runComplete(7, 'sink-users')],
    ['a received that is not a number', runComplete('7')],
    ['no received', JSON.stringify({ message: 'run complete', service: 'fetch-users' })],
    ['broken JSON', '{"message":"run complete","service":"fetch-users","received":7'],
    ['garbage', 'run complete fetch-users received 7'],
    ['an empty line', ''],
  ])('ignores %s', (_, line) => {
    expect(countFetched(line, 42)).toBe(42);
  });
});
