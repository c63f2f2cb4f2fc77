import { describe, expect, it } from 'vitest';
import { BenchArgsError } from './lib/errors.ts';
import { type Args, benchUsage, fullPlan, parseBenchArgs, quickPlan } from './plan.ts';

/** The arguments of a run; fails the test when the command line asked for the usage instead. */
function runArgs(args: readonly string[]): Args {
  const invocation = parseBenchArgs(args);
  if (invocation.help) throw new Error(`${args.join(' ')} asked for the usage`);
  return invocation;
}

describe('parseBenchArgs', () => {
  it('runs every phase at full size into bench/results by default', () => {
    const args = runArgs([]);

    expect(args.plan).toBe(fullPlan);
    expect(args.out).toMatch(/\/bench\/results$/);
    expect(args.only).toBeUndefined();
    expect(args.label).toBe('');
  });

  it('runs the console phase alone, at the size asked for, into the folder given', () => {
    const args = runArgs(['--only', 'console', '--quick', '--out', '/tmp/b']);

    expect(args).toMatchObject({ plan: quickPlan, out: '/tmp/b', only: 'console' });
  });

  it('runs the console phase with as many ABBA pairs as asked, and refuses a count that is not one', () => {
    const args = runArgs(['--only', 'console', '--pairs', '12', '--out', '/tmp/b']);

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

  it('asks for the usage with --help or -h, whatever else is given', () => {
    expect(parseBenchArgs(['--help'])).toEqual({ help: true });
    expect(parseBenchArgs(['--quick', '-h'])).toEqual({ help: true });
    for (const option of ['--quick', '--label', '--out', '--only', '--pairs', '--help']) {
      expect(benchUsage).toContain(option);
    }
  });

  it('refuses an unknown option, a missing value and a stray argument with a typed error naming it', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--quik'], /--quik/],
      [['--out'], /--out/],
      [['quick'], /quick/],
    ];
    for (const [args, names] of cases) {
      let caught: unknown;
      try {
        parseBenchArgs(args);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(BenchArgsError);
      expect(caught).toMatchObject({
        code: 'BENCH_ARGS_INVALID',
        retryable: false,
        message: expect.stringMatching(names),
      });
      expect((caught as Error).cause).toBeInstanceOf(TypeError);
    }
  });
});

describe('the plans', () => {
  it('run the console phase in ABBA pairs: eight at full size, one in a quick run', () => {
    expect(fullPlan.console).toEqual({ pairs: 8, usersPerRound: 30_000, fillUsers: 200_000 });
    expect(quickPlan.console.pairs).toBe(1);
  });
});
