/**
 * What `npm run bench` runs: the size and length of each phase in a full and a quick run, and the command
 * line that picks one (`--quick`, `--out`, `--label`, `--only`, `--pairs`).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../lib/paths.ts';
import type { ConsolePlan } from './console.ts';
import { type ProfileSpec, profiles } from './e2e.ts';
import { BenchArgsError } from './lib/errors.ts';

/** How big and how long each phase is. */
export interface Plan {
  mode: 'full' | 'quick';
  kafkaRecords: number;
  cassandraRows: number;
  postgresUsers: number;
  fetchUsers: number;
  stageUsers: number;
  /**
   * The Spark peer's records per micro-batch (`maxOffsetsPerTrigger`), on `stageUsers` records: small enough
   * for several batches after the first, whose rows per second are its steady rate.
   */
  sparkRecordsPerBatch: number;
  profiles: readonly ProfileSpec[];
  /** Probes that bracket the highest rate the end-to-end profiles hold, and probes that then halve it. */
  probes: number;
  refineProbes: number;
  probeSeconds: number;
  sustainSeconds: number;
  sustainAttempts: number;
  latencySeconds: number;
  warmupSeconds: number;
  /**
   * The longest wait for the machine to settle before a measured load (lib/quiet.ts). Short in a quick run: a
   * smoke test checks that the phases run, not how fast, and must not wait a minute before each of them.
   */
  settleSeconds: number;
  scaling: ReadonlyArray<{ partitions: number; batchSize: number }>;
  scalingUsers: number;
  console: ConsolePlan;
}

export const fullPlan: Plan = {
  mode: 'full',
  kafkaRecords: 200_000,
  cassandraRows: 50_000,
  postgresUsers: 50_000,
  fetchUsers: 25_000,
  stageUsers: 30_000,
  // The batch size spark.test.ts measured its recorded figures with (infra/spark/README.md): 8 batches.
  sparkRecordsPerBatch: 4000,
  profiles,
  probes: 5,
  // Three halvings leave a bracket of about 4% of the answer; two left 8%, as wide as the changes measured.
  refineProbes: 3,
  probeSeconds: 15,
  sustainSeconds: 120,
  // A 15 s probe can hold where two minutes do not (a run's probes held at 2,755 users/s, its first two minutes
  // there did not); each later attempt offers a little under what the one before drained, so the third is there
  // for a second attempt that lands just over the edge.
  sustainAttempts: 3,
  latencySeconds: 20,
  warmupSeconds: 15,
  settleSeconds: 60,
  // Partitions at batch 1000, and batch sizes at 6 partitions (the topic's own count).
  scaling: [
    { partitions: 1, batchSize: 1000 },
    { partitions: 2, batchSize: 1000 },
    { partitions: 6, batchSize: 1000 },
    { partitions: 6, batchSize: 100 },
    { partitions: 6, batchSize: 10_000 },
  ],
  scalingUsers: 20_000,
  // Eight ABBA pairs: single pairs ranged from 0.79x to 1.08x in one run, so a median of four could not tell
  // a 2% cost from none. The fill plus the warm-up and sixteen rounds leave 710,000 rows in each table.
  console: { pairs: 8, usersPerRound: 30_000, fillUsers: 200_000 },
};

export const quickPlan: Plan = {
  mode: 'quick',
  kafkaRecords: 20_000,
  cassandraRows: 5_000,
  postgresUsers: 5_000,
  fetchUsers: 5_000,
  stageUsers: 3_000,
  sparkRecordsPerBatch: 500,
  profiles: profiles.slice(0, 1),
  probes: 0,
  refineProbes: 0,
  probeSeconds: 0,
  sustainSeconds: 15,
  sustainAttempts: 1,
  latencySeconds: 8,
  warmupSeconds: 4,
  settleSeconds: 5,
  scaling: [{ partitions: 2, batchSize: 1000 }],
  scalingUsers: 3_000,
  console: { pairs: 1, usersPerRound: 3_000, fillUsers: 10_000 },
};

/** The phases `--only` can run alone. */
export const onlyPhases = ['console'] as const;

/** The console phase's ABBA pairs `--pairs` accepts. */
const pairsRange = { min: 1, max: 50 };

/** What `npm run bench -- --help` prints, and what follows an error in the arguments. */
export const benchUsage = `usage: npm run bench -- [options]
  (no options)          the full run, 20 to 40 minutes; the report replaces bench/results/latest.*
  --quick               the same phases, smaller and shorter (a smoke test, a few minutes)
  --label TEXT          what changed, kept with the run in the history
  --out DIR             write the report to DIR instead of bench/results
  --only ${onlyPhases.join('|')}        run that phase alone (needs --out)
  --pairs N             the console phase's ABBA pairs, ${pairsRange.min} to ${pairsRange.max} (default ${fullPlan.console.pairs}, ${quickPlan.console.pairs} with --quick)
  --help                print this`;

/** What the command line asks for: a run, or the usage. */
export type Invocation = Args | { help: true };

/** What the command line asks for. */
export interface Args {
  help?: false;
  plan: Plan;
  out: string;
  label: string;
  /** Run this phase alone; undefined: every phase. */
  only: (typeof onlyPhases)[number] | undefined;
}

/**
 * Reads the command line.
 *
 * @throws {@link BenchArgsError} for an unknown option, a missing value or a stray argument; for an unknown
 *   `--only`; and for `--only` without `--out`: a run of one phase must not replace the recorded full report
 */
export function parseBenchArgs(args: readonly string[]): Invocation {
  const values = readArgs(args);
  if (values.help) return { help: true };
  const only = onlyPhases.find((p) => p === values.only);
  if (values.only !== undefined && only === undefined) {
    throw new BenchArgsError(`--only ${values.only}: the phases that run alone are ${onlyPhases.join(', ')}`);
  }
  if (only !== undefined && values.out === undefined) {
    throw new BenchArgsError(
      `--only ${only} needs --out DIR: a run of one phase must not replace the recorded report in bench/results`,
    );
  }
  const plan = values.quick ? quickPlan : fullPlan;
  let pairs = plan.console.pairs;
  if (values.pairs !== undefined) {
    pairs = Number(values.pairs);
    if (!Number.isInteger(pairs) || pairs < pairsRange.min || pairs > pairsRange.max) {
      throw new BenchArgsError(
        `--pairs ${values.pairs}: give the console phase's ABBA pairs as a whole number, ${pairsRange.min} to ${pairsRange.max}`,
      );
    }
  }
  return {
    plan: pairs === plan.console.pairs ? plan : { ...plan, console: { ...plan.console, pairs } },
    out: resolve(values.out ?? join(repoRoot, 'bench', 'results')),
    label: values.label,
    only,
  };
}

function readArgs(args: readonly string[]) {
  try {
    return parseArgs({
      args: [...args],
      options: {
        quick: { type: 'boolean', default: false },
        out: { type: 'string' },
        label: { type: 'string', default: '' },
        only: { type: 'string' },
        pairs: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    // node:util's parseArgs throws a TypeError whose message already names the option (ERR_PARSE_ARGS_*).
    throw new BenchArgsError(error instanceof Error ? error.message : String(error), error);
  }
}
