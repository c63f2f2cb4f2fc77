import { describe, expect, it } from 'vitest';
import { PacedRead } from './pace.ts';

/** A clock the test moves, and a read whose duration the test sets. */
function rig(durationMs: number, fail = false) {
  let now = 0;
  let reads = 0;
  const read = new PacedRead(
    async () => {
      reads++;
      now += durationMs; // the read "takes" durationMs of the clock
      if (fail) throw new Error('down');
      return reads;
    },
    { share: 0.01, retryMs: 5000, now: () => now },
  );
  return {
    read,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms;
    },
    setFail: (v: boolean) => {
      fail = v;
    },
  };
}

describe('PacedRead', () => {
  it('reads again only after 99 times as long as the last read took, with a 1% share', async () => {
    const r = rig(20);
    expect(await r.read.get(100)).toEqual({ value: 1, at: 20 });
    r.advance(1000); // 1.02 s: the next read is due at 20 + 1980 = 2000
    expect(await r.read.get(100)).toEqual({ value: 1, at: 20 });
    r.advance(980);
    expect(await r.read.get(100)).toEqual({ value: 2, at: 2020 });
    expect(r.reads()).toBe(2);
  });

  it('reads a quick count at every call', async () => {
    const r = rig(1);
    for (let i = 0; i < 3; i++) {
      await r.read.get(100);
      r.advance(1000);
    }
    expect(r.reads()).toBe(3);
  });

  it('serves the last value while a slow read runs, and never runs two at once', async () => {
    let release: (() => void) | undefined;
    let reads = 0;
    const read = new PacedRead(
      () =>
        new Promise<number>((resolve) => {
          reads++;
          release = () => resolve(reads);
        }),
      { share: 0.5, retryMs: 10, now: () => 0 },
    );
    const first = read.get(5);
    expect(await first).toBeUndefined(); // still reading after 5 ms
    expect(await read.get(5)).toBeUndefined();
    expect(reads).toBe(1);
    release?.();
    expect(await read.get(5)).toEqual({ value: 1, at: 0 });
  });

  it('forgets the value when a read fails, tries a quick failure again after retryMs, a slow one paced', async () => {
    const quick = rig(10);
    await quick.read.get(100);
    quick.setFail(true);
    quick.advance(2_000);
    expect(await quick.read.get(100)).toBeUndefined();
    quick.setFail(false);
    quick.advance(4_000);
    expect(await quick.read.get(100)).toBeUndefined(); // retry 5 s after the failure ended, not yet
    quick.advance(1_000);
    expect((await quick.read.get(100))?.value).toBe(3);

    const slow = rig(10_000);
    slow.setFail(true);
    expect(await slow.read.get(100)).toBeUndefined(); // took 10 s: again after 990 s, not 5
    slow.setFail(false);
    slow.advance(980_000);
    expect(await slow.read.get(100)).toBeUndefined();
    expect(slow.reads()).toBe(1);
    slow.advance(10_000);
    expect((await slow.read.get(100))?.value).toBe(2);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => new PacedRead(async () => 1, { share: 0, retryMs: 1 })).toThrow(RangeError);
  });

  it('paces the first read at its own share, as it connects and takes longer than the reads after it', async () => {
    let now = 0;
    const took = [300, 3];
    const read = new PacedRead(
      async () => {
        now += took.shift() ?? 3;
        return now;
      },
      { share: 0.001, firstShare: 0.01, retryMs: 5000, now: () => now },
    );

    await read.get(100);
    now += 29_700; // 300 ms × 99: due again, where 0.1% would wait five minutes
    expect(await read.get(100)).toEqual({ value: 30_003, at: 30_003 });
    now += 2_000; // 3 ms × 999 = 3 s
    expect(await read.get(100)).toEqual({ value: 30_003, at: 30_003 });
  });
});
