import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { parseConfig } from '../lib/settings.ts';
import { createHandler } from './app.ts';

describe('ping handler', () => {
  it('answers 200 with the report as JSON', async () => {
    const handler = createHandler({
      config: parseConfig({ STAGE: 'test' }),
      logger: createLogger('ping', { level: 'SILENT', stage: 'local' }),
      now: () => new Date('2026-01-01T00:00:00.000Z'),
    });

    const response = await handler();

    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(JSON.parse(response.body)).toEqual({
      service: 'realtime-user-pipeline',
      stage: 'test',
      time: '2026-01-01T00:00:00.000Z',
      ok: true,
    });
  });

  it('logs the settings it parsed at debug level, for seeing what reached the functions', async () => {
    const lines: string[] = [];
    const logger = createLogger('ping', { level: 'DEBUG', stage: 'test' });
    const config = parseConfig({ STAGE: 'test', FETCH_PAGE_SIZE: '250' });
    const handler = createHandler({ config, logger, now: () => new Date('2026-01-01T00:00:00.000Z') });
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;

    try {
      await handler();
    } finally {
      process.stdout.write = write;
    }

    const entry = lines.map((line) => JSON.parse(line)).find((e) => e.message === 'ping');
    expect(entry?.settings).toEqual(JSON.parse(JSON.stringify(config)));
    expect(entry?.settings.fetch.pageSize).toBe(250);
  });
});
