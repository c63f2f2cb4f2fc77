import { describe, expect, it } from 'vitest';
import { ping } from './core.ts';

describe('ping', () => {
  it('reports the service, the stage and the given time', () => {
    const now = new Date('2026-01-01T00:00:00.000Z');

    const result = ping('realtime-user-pipeline', 'local', now);

    expect(result).toEqual({
      service: 'realtime-user-pipeline',
      stage: 'local',
      time: '2026-01-01T00:00:00.000Z',
      ok: true,
    });
  });
});
