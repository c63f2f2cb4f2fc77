/**
 * End to end: users committed to the outbox (as store-users commits them) until their rows are written to
 * Cassandra, through publish-users, Kafka, the local event source and sink-users under `sls offline start`.
 *
 * Per profile:
 * 1. **Sustained rate**: an open-loop load while the backlog (users committed to the outbox but not yet
 *    consumed by the sink, whose offsets are committed only after their rows are written) is sampled every
 *    2 s. A rate holds when the backlog's trend stays flat (see {@link isFlat}) and the load kept to its
 *    schedule. Short probes bracket the highest rate that holds, stepping down from a candidate while they
 *    fail and up while they hold, then halve the bracket (lib/rate-search.ts); then the full duration must
 *    hold too, or it is tried again a little under what the pipeline drained meanwhile (`nextSustainRate`).
 * 2. **Latency** at 50% and 80% of the sustained rate: each user's time from its outbox commit (as the
 *    generator saw the COMMIT acknowledged) to Cassandra's write time of its row, and the same path split at
 *    the timestamp of its Kafka record (commit → Kafka, Kafka → row).
 */

import { cpus } from 'node:os';
import { eventPublisherFor } from '../functions/lib/eventbridge.ts';
import { detailTypes } from '../functions/lib/schemas.ts';
import type { StorableUser } from '../functions/store-users/core.ts';
import type { StackConfig } from '../infra/local/config.ts';
import { resolvePostgres, stackConnection } from '../infra/local/endpoints.ts';
import { localEventBusEndpoint } from '../infra/local/function-env.ts';
import { readAutovacuum } from '../infra/migrations/postgres.ts';
import { functionConfig } from './lib/config.ts';
import { type CpuReading, cpuBreakdown } from './lib/cpu.ts';
import { runOpenLoop } from './lib/generator.ts';
import { hopLatency, isFlat, latencySummary, perSecond } from './lib/measure.ts';
import {
  dropRun,
  type OfflinePipeline,
  prepareRun,
  runNames,
  sinkConsumed,
  startOffline,
} from './lib/pipeline.ts';
import { nextSustainRate, searchRate } from './lib/rate-search.ts';
import { startRelayTrigger } from './lib/relay-trigger.ts';
import type { CpuBreakdown, Latency, Profile } from './lib/results.ts';
import { recordTimes, rowCount, writeTimes } from './lib/seed.ts';

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

/** A probe may give up after this long, when it is more than `probeGiveUpSeconds` of arrivals behind. */
const probeWarmupSeconds = 5;
const probeGiveUpSeconds = 3;

/** The AWS-defaults profile announces commits at most this often (see runProfile). */
const announceEveryMs = 100;

export interface ProfilePlan {
  /** The first rate tried. */
  candidatePerSecond: number;
  sustainSeconds: number;
  /**
   * Short runs before the long one that bracket the highest rate that holds: each offers 70% of the one
   * before while they fail, or 1/0.7 times it while they hold (lib/rate-search.ts).
   */
  probes: number;
  /** Short runs that then halve that bracket. */
  refineProbes: number;
  probeSeconds: number;
  /**
   * Full-length attempts at most; each after the first offers a little under what the pipeline drained during
   * the one before (`nextSustainRate` in lib/rate-search.ts).
   */
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
  /** Reads the process sampler; given, the profile carries its CPU per 1000 users over the sustained run. */
  readCpu?(): Promise<CpuReading>;
  /**
   * Waits for the machine to settle before each measured load (lib/quiet.ts), so that a load does not share the
   * cores with the compaction and collection the one before it left behind.
   */
  settle?(what: string): Promise<void>;
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

    // Every commit is counted, so the backlog (committed but not yet consumed by the sink) is a subtraction;
    // counting unpublished outbox rows or Cassandra rows every 2 s would itself load the servers measured.
    let committedTotal = 0;
    let announce: ((ids: readonly string[]) => void) | undefined;
    if (spec.relayPollMs > 0) {
      const trigger = await startRelayTrigger(
        stackConnection(resolvePostgres(cfg), names.database),
        spec.relayPollMs,
        (e) => hooks.warn(`relay trigger: ${String(e)}`),
      );
      stopRelay = () => trigger.stop();
    } else {
      // As store-users does after it commits a batch: a UsersStored event, which the local EventBridge routes
      // to publish-users. The load commits every 10 ms, far more often than store-users would (once per
      // fetched page), so announcements are coalesced: at most one every `announceEveryMs`, carrying
      // the count of every commit since the last. Each wakes a relay that drains everything committed so far.
      const publisher = eventPublisherFor(
        functionConfig(cfg, names, { EVENTBRIDGE_ENDPOINT: localEventBusEndpoint(cfg) }),
      );
      let n = 0;
      let inFlight = false;
      let pending = 0;
      const send = (count: number) => {
        inFlight = true;
        n++;
        publisher
          .publish([
            {
              detailType: detailTypes.usersStored,
              detail: { schemaVersion: 1, batchId: `bench-load:${n}`, count },
            },
          ])
          .catch((e: unknown) => hooks.warn(`UsersStored: ${String(e)}`))
          .finally(() =>
            setTimeout(() => {
              inFlight = false;
              if (pending > 0) {
                const next = pending;
                pending = 0;
                send(next);
              }
            }, announceEveryMs),
          );
      };
      announce = (ids) => {
        if (inFlight) pending += ids.length;
        else send(ids.length);
      };
    }
    const onCommit = (ids: readonly string[]) => {
      committedTotal += ids.length;
      announce?.(ids);
    };

    const autovacuum = (await readAutovacuum(run.pool)) !== 'off';
    if (!autovacuum) {
      hooks.warn(
        `${spec.id}: autovacuum is off on this PostgreSQL server; the profile vacuums its outbox after each load`,
      );
    }
    const admin = run.kafka.admin();
    await admin.connect();
    try {
      const lag = async () => committedTotal - (await sinkConsumed(admin, names.topic));
      const drain = async (what: string) => {
        hooks.progress(`${spec.id}: draining after ${what}`);
        const deadline = Date.now() + 600_000;
        for (;;) {
          const behind = await lag();
          if (behind <= 0) break;
          if (Date.now() > deadline)
            throw new Error(`${spec.id}: ${behind} users not consumed after ${what}`);
          await sleep(500);
        }
        // The sink commits offsets only after the rows are written; this confirms they are there (a record the
        // relay sent twice is consumed twice, so the offsets can run ahead of the rows for a moment).
        for (let rows = await rowCount(run.cql); rows < committedTotal; rows = await rowCount(run.cql)) {
          if (Date.now() > deadline)
            throw new Error(`${spec.id}: ${rows} of ${committedTotal} rows after ${what}`);
          await sleep(1000);
        }
        // What autovacuum would have done by now (0003_outbox_autovacuum.sql asks it to every 10,000 dead rows):
        // on a server with it off, every relayed row's dead version stays, and each claim and each poll of the
        // relay trigger walks them all (9.7 ms a poll, 5 ms apart, with 366,000 of them), so the next load would
        // measure a pipeline slowed by a server setting, not by its code.
        if (!autovacuum) await run.pool.query('VACUUM outbox');
      };

      // 1. The sustained rate: short probes find the highest rate that holds, then the profile's full duration
      // confirms it (stepping down if it does not hold).
      const attempts: Profile['sustained']['attempts'] = [];
      type Hold = {
        perSecond: number;
        slope: number;
        flat: boolean;
        samples: Profile['sustained']['samples'];
        cpu?: CpuBreakdown;
      };
      // A probe gives up as soon as the backlog is clearly growing (more than `probeGiveUpSeconds` of arrivals
      // behind after the warm-up): the answer is known, and every further second only adds to the drain.
      const holdAt = async (rate: number, seconds: number, what: 'probe' | 'sustain'): Promise<Hold> => {
        await hooks.settle?.(`${spec.id}: before the ${what} at ${Math.round(rate)}/s`);
        hooks.progress(`${spec.id}: ${what} ${Math.round(rate)}/s for ${seconds} s`);
        const samples: Profile['sustained']['samples'] = [];
        const started = performance.now();
        let sampling = true;
        let givenUp = false;
        const sampler = (async () => {
          while (sampling) {
            const behind = await lag().catch(() => undefined);
            const at = (performance.now() - started) / 1000;
            if (behind !== undefined) samples.push({ seconds: at, lag: Math.max(0, behind) });
            if (what === 'probe' && at >= probeWarmupSeconds && (behind ?? 0) > rate * probeGiveUpSeconds) {
              givenUp = true;
            }
            await sleep(what === 'probe' ? 1000 : 2000);
          }
        })();
        // The CPU of the load itself: from its start to its end, over the users it committed (with the backlog
        // flat, about as many as went through); the drain after it is left out.
        const cpuStart = await hooks.readCpu?.();
        const load = await runOpenLoop({
          pool: run.pool,
          templates,
          perSecond: rate,
          durationSeconds: seconds,
          onCommit,
          stop: () => givenUp,
        });
        const cpuEnd = await hooks.readCpu?.();
        sampling = false;
        await sampler;
        const steady = samples.filter((s) => s.seconds >= Math.min(plan.warmupSeconds, seconds / 3));
        const achieved = perSecond(load.committed, load.seconds);
        const verdict = isFlat(steady, rate);
        // The load itself must have kept to its schedule: a generator that fell behind offered less.
        const flat = !givenUp && verdict.flat && achieved >= 0.95 * rate;
        attempts.push({ perSecond: achieved, flat, lagSlopePerSecond: verdict.slopePerSecond });
        await drain(`${Math.round(rate)}/s`);
        const cpu =
          cpuStart === undefined || cpuEnd === undefined
            ? undefined
            : cpuBreakdown(cpuStart, cpuEnd, load.committed);
        return { perSecond: achieved, slope: verdict.slopePerSecond, flat, samples, cpu };
      };

      const search = await searchRate(
        {
          candidate: plan.candidatePerSecond,
          bracketProbes: plan.probes,
          refineProbes: plan.refineProbes,
          step: 0.7,
        },
        async (probeRate) => (await holdAt(probeRate, plan.probeSeconds, 'probe')).flat,
      );
      let rate = search.rate;
      let held: Hold | undefined;
      let last: Hold | undefined;
      for (let a = 0; a < plan.attempts && held === undefined; a++) {
        last = await holdAt(rate, plan.sustainSeconds, 'sustain');
        if (last.flat) held = last;
        else rate = nextSustainRate({ offered: rate, achieved: last.perSecond, slopePerSecond: last.slope });
      }
      const sustained = held ?? last;
      if (sustained === undefined) throw new Error(`${spec.id}: no sustained attempt ran`);

      // 2. Latency at 50% and 80% of it.
      const latency: Latency[] = [];
      for (const fraction of [0.5, 0.8]) {
        const offered = sustained.perSecond * fraction;
        await hooks.settle?.(`${spec.id}: before the latency run at ${fraction * 100}%`);
        hooks.progress(`${spec.id}: latency at ${fraction * 100}% (${Math.round(offered)}/s)`);
        const offsetsBefore = await admin.fetchTopicOffsets(names.topic);
        const load = await runOpenLoop({
          pool: run.pool,
          templates,
          perSecond: offered,
          durationSeconds: plan.latencySeconds,
          onCommit,
        });
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
        // Where the time went: the records this run's relay sent, read back for their timestamps.
        const kafkaAt = await recordTimes(
          run.kafka,
          names.topic,
          offsetsBefore,
          await admin.fetchTopicOffsets(names.topic),
        );
        if (kafkaAt === undefined)
          hooks.warn(`${spec.id}: the ${fraction * 100}% run's records were not all read back; no hop split`);
        const hops = kafkaAt && hopLatency(load.commits, kafkaAt, written);
        latency.push({
          loadFraction: fraction,
          offeredPerSecond: offered,
          achievedPerSecond: perSecond(load.committed, load.seconds),
          count: values.length,
          ...latencySummary(values),
          ...(hops === undefined ? {} : { hops }),
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
          flat: sustained.flat,
          attempts,
          samples: sustained.samples,
        },
        latency,
        ...(sustained.cpu === undefined ? {} : { cpu: sustained.cpu }),
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
