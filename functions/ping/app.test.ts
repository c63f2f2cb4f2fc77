import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { createHandler } from './app.ts';

describe('ping handler', () => {
  it('answers 200 with the report as JSON', async () => {
    const handler = createHandler({
      config: { service: 'realtime-user-pipeline', stage: 'test' },
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
});
