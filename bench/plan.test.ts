import { describe, expect, it } from 'vitest';
import { BenchArgsError } from './lib/errors.ts';
import { fullPlan, parseBenchArgs, quickPlan } from './plan.ts';

describe('parseBenchArgs', () => {
  it('runs every phase at full size into bench/results by default', () => {
    const args = parseBenchArgs([]);

    expect(args.plan).toBe(fullPlan);
    expect(args.out).toMatch(/\/bench\/results$/);
    expect(args.only).toBeUndefined();
    expect(args.label).toBe('');
  });

  it('runs the console phase alone, at the size asked for, into the folder given', () => {
    const args = parseBenchArgs(['--only', 'console', '--quick', '--out', '/tmp/b']);

    expect(args).toMatchObject({ plan: quickPlan, out: '/tmp/b', only: 'console' });
  });

  it('runs the console phase with as many ABBA pairs as asked, and refuses a count that is not one', () => {
    const args = parseBenchArgs(['--only', 'console', '--pairs', '12', '--out', '/tmp/b']);

    expect(args.plan.console).toEqual({ ...fullPlan.console, pairs: 12 });
    expect(fullPlan.console.pairs).toBe(8);
    for (const bad of ['0', '2.5', 'many']) {
      expect(() => parseBenchArgs(['--pairs', bad])).toThrow(
        /--pairs .*: give the console phase's ABBA pairs/,
      );
    }
  });

  it('refuses a phase that cannot run alone, and a phase alone without --out', () => {
    expect(() => parseBenchArgs(['--only', 'sink', '--out', '/tmp/b'])).toThrow(
      /--only sink: the phases that run alone are console/,
    );
    const noOut = () => parseBenchArgs(['--only', 'console']);
    expect(noOut).toThrow(BenchArgsError);
    expect(noOut).toThrow(/needs --out DIR/);
  });
});

describe('the plans', () => {
  it('run the console phase in ABBA pairs: eight at full size, one in a quick run', () => {
    expect(fullPlan.console).toEqual({ pairs: 8, usersPerRound: 30_000, fillUsers: 200_000 });
    expect(quickPlan.console.pairs).toBe(1);
  });
});
