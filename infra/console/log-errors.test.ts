import { describe, expect, it } from 'vitest';
import { ErrorBook, errorsPerFunction, parseErrorLine } from './log-errors.ts';

const line = (entry: Record<string, unknown>) =>
  JSON.stringify({ timestamp: '2026-01-01T00:00:00.000Z', service: 'sink-users', ...entry });

describe('parseErrorLine', () => {
  it('reads a dead-lettered record (WARN with errorType), behind the prefix serverless-offline adds', () => {
    const text = `(λ: sinkUsers) ${line({ level: 'WARN', message: 'record dead-lettered', errorType: 'RECORD_INVALID', error: 'bad value' })}`;

    expect(parseErrorLine(text)).toEqual({
      function: 'sink-users',
      code: 'RECORD_INVALID',
      message: 'record dead-lettered: bad value',
      at: '2026-01-01T00:00:00.000Z',
    });
  });

  it('reads an ERROR with a Powertools error object, its code from the error', () => {
    const text = line({
      level: 'ERROR',
      message: 'batch failed',
      error: { name: 'TransientError', message: 'Cassandra down', code: 'CASSANDRA_NO_HOST_AVAILABLE' },
    });

    expect(parseErrorLine(text)).toMatchObject({
      code: 'CASSANDRA_NO_HOST_AVAILABLE',
      message: 'batch failed: Cassandra down',
    });
  });

  it('gives an ERROR without a code its level as the code', () => {
    expect(parseErrorLine(line({ level: 'ERROR', message: 'boom' }))).toMatchObject({
      code: 'ERROR',
      message: 'boom',
    });
  });

  it('masks credentials in the message', () => {
    expect(parseErrorLine(line({ level: 'ERROR', message: 'login failed password=hunter2' }))?.message).toBe(
      'login failed password=••••••',
    );
  });

  it.each([
    ['an INFO line', line({ level: 'INFO', message: 'batch sunk', code: 'X' })],
    ['a WARN without a code', line({ level: 'WARN', message: 'slow' })],
    ['a line without a service', JSON.stringify({ level: 'ERROR', message: 'x' })],
    ['broken JSON', '{"level":"ERROR","service":"x"'],
    ['plain text', 'offline-kafka: sink-users users_created-3 100 records: error Error: boom'],
  ])('ignores %s', (_, text) => {
    expect(parseErrorLine(text)).toBeUndefined();
  });
});

describe('ErrorBook', () => {
  it(`keeps the newest ${errorsPerFunction} errors of each function, newest first`, () => {
    const book = new ErrorBook();
    for (let i = 0; i < 8; i++) book.add({ function: 'sink-users', code: `C${i}`, message: '', at: '' });
    book.add({ function: 'fetch-users', code: 'F', message: '', at: '' });

    const codes = book.list().map((e) => `${e.function}:${e.code}`);

    expect(codes).toEqual([
      'fetch-users:F',
      'sink-users:C7',
      'sink-users:C6',
      'sink-users:C5',
      'sink-users:C4',
      'sink-users:C3',
    ]);
  });
});
