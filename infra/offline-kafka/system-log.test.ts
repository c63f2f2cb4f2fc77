import { describe, expect, it } from 'vitest';
import { invocationLevel, logsAt } from './system-log.ts';

describe('logsAt', () => {
  it('sends a level and those below it, as AWS documents (DEBUG most detail, WARN least)', () => {
    const table = (['DEBUG', 'INFO', 'WARN'] as const).map((configured) =>
      (['DEBUG', 'INFO', 'WARN'] as const).filter((line) => logsAt(configured, line)),
    );

    expect(table).toEqual([['DEBUG', 'INFO', 'WARN'], ['INFO', 'WARN'], ['WARN']]);
  });

  it('prints every line when the event sets no loggingConfig', () => {
    expect(logsAt(undefined, 'DEBUG')).toBe(true);
  });
});

describe('invocationLevel', () => {
  it('files a successful invocation under DEBUG and everything that went wrong under WARN', () => {
    const levels = (['ok', 'partial', 'failed', 'sent-to-destination', 'discarded'] as const).map((result) =>
      invocationLevel({ result }),
    );

    expect(levels).toEqual(['DEBUG', 'WARN', 'WARN', 'WARN', 'WARN']);
  });
});
