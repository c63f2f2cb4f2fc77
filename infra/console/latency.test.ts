import { describe, expect, it } from 'vitest';
import { LatencyWindow, latencyMs, latencyOf, latencyWindowMs } from './latency.ts';

describe('latencyOf', () => {
  it('gives p50 and p99 by the nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);

    expect(latencyOf(samples)).toEqual({ p50Ms: 50, p99Ms: 99, samples: 100 });
  });

  it('has no percentiles without samples', () => {
    expect(latencyOf([])).toEqual({ p50Ms: null, p99Ms: null, samples: 0 });
  });
});

describe('latencyMs', () => {
  it('is the write time (µs) less the commit time', () => {
    expect(latencyMs(new Date(1_000), 1_250_000)).toBe(250);
  });

  it('counts a write stamped before the commit (clock skew) as 0', () => {
    expect(latencyMs(new Date(2_000), 1_000_000)).toBe(0);
  });
});

describe('LatencyWindow', () => {
  it('looks back one window only', () => {
    const window = new LatencyWindow();
    window.add(new Date(0), 500);
    window.add(new Date(latencyWindowMs), 10);

    expect(window.current(new Date(latencyWindowMs + 1))).toEqual({ p50Ms: 10, p99Ms: 10, samples: 1 });
  });

  it('keeps the newest samples up to its capacity', () => {
    const window = new LatencyWindow(2);
    for (const ms of [1, 2, 3]) window.add(new Date(0), ms);

    expect(window.current(new Date(1))).toMatchObject({ samples: 2, p50Ms: 2 });
  });
});
