/**
 * End to end: users committed to the outbox (as store-users commits them) until their rows are written to
 * Cassandra, through publish-users, Kafka, the local event source and sink-users under `sls offline start`.
 *
 * Per profile:
 * 1. **Sustained rate**: an open-loop load at a candidate rate for the profile's duration while the backlog
 *    (outbox rows not yet published plus the sink's consumer lag) is sampled every 2 s. The rate holds when
 *    the backlog's trend stays flat (see {@link isFlat}); otherwise the next attempt offers 75% of it.
 * 2. **Latency** at 50% and 80% of the sustained rate: each user's time from its outbox commit (as the
 *    generator saw the COMMIT acknowledged) to Cassandra's write time of its row.
 */

import { cpus } from 'node:os';
import { eventPublisherFor } from '../functions/lib/eventbridge.ts';
import { detailTypes } from '../functions/lib/schemas.ts';
import type { StorableUser } from '../functions/store-users/core.ts';
import type { StackConfig } from '../infra/local/config.ts';
import { functionConfig } from './lib/config.ts';
import { runOpenLoop } from './lib/generator.ts';
import { isFlat, latencySummary, perSecond } from './lib/measure.ts';
import {
  backlog,
  dropRun,
  type OfflinePipeline,
  prepareRun,
  runNames,
  startOffline,
} from './lib/pipeline.ts';
import { startRelayTrigger } from './lib/relay-trigger.ts';
import type { Latency, Profile } from './lib/results.ts';
import { rowCount, writeTimes } from './lib/seed.ts';

export interface ProfileSpec {
  id: 'low-latency' | 'aws-defaults';
  name: string;
  partitions: number;
  batchSize: number;
  batchingWindowMs: number;
  /** How the relay is woken: polling every this many ms, or (0) a `UsersStored` event per commit, as on AWS. */
  relayPollMs: number;
}

/**
 * Partitions of the profiles' topic: one per core, up to the pipeline's 6. Locally every partition delivered at
 * once is another serverless-offline worker (a V8 isolate with its own clients), and on 2 cores six of them
 * spend more on compiling, collecting and switching than they deliver: the scaling sweep measures 1, 2 and 6.
 */
export const profilePartitions = Math.min(6, cpus().length);

export const profiles: readonly ProfileSpec[] = [
  {
    id: 'low-latency',
    name: 'low latency: 50 ms window, outbox polled every 5 ms',
    partitions: profilePartitions,
    batchSize: 1000,
    batchingWindowMs: 50,
    relayPollMs: 5,
  },
  {
    id: 'aws-defaults',
    name: 'AWS defaults: 500 ms window, batch 100, relay woken by UsersStored events',
    partitions: profilePartitions,
    batchSize: 100,
    batchingWindowMs: 500,
    relayPollMs: 0,
  },
];

export interface ProfilePlan {
  /** The first rate tried. */
  candidatePerSecond: number;
  sustainSeconds: number;
  /** Attempts at most; each offers 75% of the one before. */
  attempts: number;
  latencySeconds: number;
  /** Samples from the first this-many seconds are left out of the trend (warm-up). */
  warmupSeconds: number;
}

export interface ProfileHooks {
  /** Progress within the profile: a label and the fraction done. */
  progress(label: string): void;
  /** The profile's serverless-offline, for the process sampler. */
  started?(offline: OfflinePipeline): void;
  warn(message: string): void;
}

/** Runs one profile on fresh names and returns its results; always stops what it started and drops its names. */
export async function runProfile(
  cfg: StackConfig,
  spec: ProfileSpec,
  plan: ProfilePlan,
  templates: readonly StorableUser[],
  hooks: ProfileHooks,
): Promise<Profile> {
  const names = runNames(spec.id.replace('-', ''));
  const run = await prepareRun(cfg, names, spec.partitions);
  let offline: OfflinePipeline | undefined;
  let stopRelay: (() => Promise<void>) | undefined;
  try {
    hooks.progress(`${spec.id}: starting sls offline`);
    offline = await startOffline(cfg, names, spec);
    hooks.started?.(offline);

    let onCommit: ((ids: readonly string[]) => void) | undefined;
    if (spec.relayPollMs > 0) {
      const trigger = startRelayTrigger(run.pool, spec.relayPollMs, (e) =>
        hooks.warn(`relay trigger: ${String(e)}`),
      );
      stopRelay = () => trigger.stop();
    } else {
      // As store-users does after each commit: one UsersStored event, which the local EventBridge routes to
      // publish-users.
      const publisher = eventPublisherFor(
        functionConfig(cfg, names, { EVENTBRIDGE_ENDPOINT: `http://127.0.0.1:${cfg.eventBus.port}` }),
      );
      let n = 0;
      onCommit = (ids) => {
        n++;
        publisher
          .publish([
            {
              detailType: detailTypes.usersStored,
              detail: { schemaVersion: 1, batchId: `bench-load:${n}`, count: ids.length },
            },
          ])
          .catch((e: unknown) => hooks.warn(`UsersStored: ${String(e)}`));
      };
    }

    const admin = run.kafka.admin();
    await admin.connect();
    try {
      let expectedRows = 0;
      const drain = async (what: string) => {
        hooks.progress(`${spec.id}: draining after ${what}`);
        const deadline = Date.now() + 600_000;
        for (;;) {
          const rows = await rowCount(run.cql);
          if (rows >= expectedRows) return;
          if (Date.now() > deadline)
            throw new Error(`${spec.id}: ${rows} of ${expectedRows} rows after ${what}`);
          await sleep(1000);
        }
      };

      // 1. The sustained rate.
      const attempts: Profile['sustained']['attempts'] = [];
      let rate = plan.candidatePerSecond;
      let held: { perSecond: number; slope: number; samples: Profile['sustained']['samples'] } | undefined;
      let last: typeof held;
      for (let a = 0; a < plan.attempts && held === undefined; a++) {
        hooks.progress(`${spec.id}: ${Math.round(rate)}/s for ${plan.sustainSeconds} s`);
        const samples: Profile['sustained']['samples'] = [];
        const started = performance.now();
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            const b = await backlog(run, admin).catch(() => undefined);
            if (b) samples.push({ seconds: (performance.now() - started) / 1000, lag: b.outbox + b.lag });
            await sleep(2000);
          }
        })();
        const load = await runOpenLoop({
          pool: run.pool,
          templates,
          perSecond: rate,
          durationSeconds: plan.sustainSeconds,
          onCommit,
        });
        sampling = false;
        await sampler;
        expectedRows += load.committed;
        const steady = samples.filter((s) => s.seconds >= plan.warmupSeconds);
        const achieved = perSecond(load.committed, load.seconds);
        const verdict = isFlat(steady, achieved);
        attempts.push({ perSecond: achieved, flat: verdict.flat, lagSlopePerSecond: verdict.slopePerSecond });
        last = { perSecond: achieved, slope: verdict.slopePerSecond, samples };
        if (verdict.flat) held = last;
        await drain(`${Math.round(rate)}/s`);
        rate *= 0.75;
      }
      const sustained = held ?? last;
      if (sustained === undefined) throw new Error(`${spec.id}: no sustained attempt ran`);

      // 2. Latency at 50% and 80% of it.
      const latency: Latency[] = [];
      for (const fraction of [0.5, 0.8]) {
        const offered = sustained.perSecond * fraction;
        hooks.progress(`${spec.id}: latency at ${fraction * 100}% (${Math.round(offered)}/s)`);
        const load = await runOpenLoop({
          pool: run.pool,
          templates,
          perSecond: offered,
          durationSeconds: plan.latencySeconds,
          onCommit,
        });
        expectedRows += load.committed;
        await drain(`${fraction * 100}% load`);
        const written = await writeTimes(run.cql);
        const values: number[] = [];
        for (const [id, committedAt] of load.commits) {
          const micros = written.get(id);
          if (micros !== undefined) values.push(Math.max(0, micros / 1000 - committedAt));
        }
        if (values.length !== load.committed) {
          throw new Error(
            `${spec.id}: ${values.length} of ${load.committed} committed users have a Cassandra row`,
          );
        }
        latency.push({
          loadFraction: fraction,
          offeredPerSecond: offered,
          achievedPerSecond: perSecond(load.committed, load.seconds),
          count: values.length,
          ...latencySummary(values),
        });
      }

      return {
        id: spec.id,
        name: spec.name,
        settings: {
          batchSize: spec.batchSize,
          batchingWindowMs: spec.batchingWindowMs,
          relayPollMs: spec.relayPollMs,
          partitions: spec.partitions,
        },
        sustained: {
          perSecond: sustained.perSecond,
          durationSeconds: plan.sustainSeconds,
          lagSlopePerSecond: sustained.slope,
          flat: held !== undefined,
          attempts,
          samples: sustained.samples,
        },
        latency,
      };
    } finally {
      await admin.disconnect();
    }
  } finally {
    await stopRelay?.();
    await offline?.stop();
    await run.close();
    await dropRun(cfg, names);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
