/**
 * Concurrency the pipeline meets on AWS as a matter of course: several relays at once (UsersStored events,
 * the sweep's schedule and Lambda's retries each start publish-users, with nothing serialising them), and a
 * consumer-group rebalance while the sink is part-way through a seed (a second event-source instance joins
 * the group, as more pollers do when a mapping scales out). Neither may put a row on the topic twice
 * through the relay, nor lose or double a row in Cassandra.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { portOpen } from '../../infra/local/proc.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { readAll } from '../helpers/kafka-events.ts';
import { eventually, kafkaClient } from '../helpers/stack.ts';
import { expectClean, FaultRun, secondInstance } from './harness.ts';

const total = 3000;
/** Relays started together in each round of case (a). */
const relaysAtOnce = 4;
/**
 * Case (a)'s backlog, stored straight into the outbox with store-users' own SQL and announced by no event, so
 * that the first round of relays finds it waiting: eight claims of the relay's default 500 rows, for four relays.
 */
const unannounced = 4000;
/**
 * Case (b)'s trickle while the second instance joins: fetches this small spread over six partitions stay
 * under the sink's batch size, so each record waits out the batching window uncommitted, and a new fetch
 * is made whenever fewer than `backlog` users are on their way, so the topic always has records in flight.
 */
const trickle = 100;
const backlog = 1000;
let run: FaultRun;
let kafka: Kafka;

beforeAll(async () => {
  run = await FaultRun.open('fconc');
  kafka = kafkaClient(run.cfg);
  await run.start();
}, 300_000);

afterAll(async () => {
  await run?.close();
}, 180_000);

/** The part of publish-users' answer (functions/publish-users/app.ts `RelayResult`) these cases read. */
const relayResultSchema = z.object({ published: z.number().int().min(0) });

/**
 * The partition of each sink-users invocation on `topic` in an `sls offline start` output, read from the
 * event source's line per invocation (infra/offline-kafka/batch.ts `formatLog`):
 * `sink-users <topic>-<partition> <n> records @<first>..<last> in <ms> ms: <outcome>`.
 */
function sinkInvocations(output: string, topic: string): number[] {
  const line = new RegExp(`sink-users ${topic.replaceAll('.', '\\.')}-(\\d+) \\d+ records? @`, 'g');
  return [...output.matchAll(line)].map((m) => Number(m[1]));
}

/** `41 on partitions 0,1,3`: how many invocations, and on which partitions. */
function describeShare(partitions: readonly number[]): string {
  return `${partitions.length} on partitions ${[...new Set(partitions)].sort((a, b) => a - b).join(',')}`;
}

describe('concurrency', () => {
  it('two relays at once: every stored user goes on the topic exactly once', async () => {
    const storedBefore = (await run.summary()).stored ?? 0;
    const relayRound = async () => {
      const results = await Promise.all(
        Array.from({ length: relaysAtOnce }, () => run.invoke('publish-users', {})),
      );
      return results.map((r) => relayResultSchema.parse(r).published);
    };
    // One round before any row waits, so that each relay of the rounds below runs in a warm worker of its own:
    // cold workers start a second or so after a warm one, which drains thousands of rows meanwhile.
    await relayRound();
    const ids = await run.fetch('two-relays', total);
    // The seed goes through store-users and the relays its UsersStored events start; once it is stored, the
    // outbox is empty and the bus holds no delivery, no relay runs but the rounds' (and the sweep's).
    await eventually(
      'the seed stored and relayed by its own UsersStored relays',
      async () => {
        const s = await run.summary();
        return (s.stored ?? 0) >= storedBefore + total && s.outboxPending === 0 && s.busPending === 0
          ? true
          : undefined;
      },
      180_000,
    );
    // Then a backlog that no event announces waits for the rounds. Racing the seed itself proved nothing on a
    // fast machine: its own relays had drained it by the first round (a CI run saw one round, [0, 500, 0, 0]),
    // and a backlog stored while they still ran went to them ([0, 0, 500, 0]).
    const backlog = await run.storeUnannounced('two-relays-unannounced', unannounced);
    expect(backlog).toHaveLength(unannounced);
    // Rounds of relays started together until the outbox is empty.
    const rounds: number[][] = [];
    await eventually(
      'the backlog drained under concurrent relays',
      async () => {
        rounds.push(await relayRound());
        return (await run.summary()).outboxPending === 0 ? true : undefined;
      },
      180_000,
    );
    const recovery = performance.now();
    const outcome = await run.settle('two-relays-at-once', recovery);
    const wanted = new Set([...ids, ...backlog]);
    const perId = new Map<string, number>();
    for (const record of await readAll(kafka, run.names.topic)) {
      const key = record.key?.toString() ?? '';
      if (wanted.has(key)) perId.set(key, (perId.get(key) ?? 0) + 1);
    }

    console.log(
      `two relays: ${rounds.length} rounds of ${relaysAtOnce}; rows published per relay ${JSON.stringify(rounds)}`,
    );
    // The relays really raced: in some round, two or more of them each published rows.
    expect(rounds.some((published) => published.filter((n) => n > 0).length >= 2)).toBe(true);
    // SKIP LOCKED: a row claimed by one relay is invisible to the others until it is marked published.
    expect([...wanted].filter((id) => perId.get(id) !== 1)).toEqual([]);
    expect(outcome.redelivered).toBe(0);
    expectClean(outcome);
  });

  it('a consumer-group rebalance mid-batch: a second event source joins, both share the work', async () => {
    const atStart = await run.fetchPartWay('rebalance', total);
    const joining = run.start(secondInstance);
    // Awaited below; this keeps a failed start from being reported as unhandled while users flow.
    joining.catch(() => {});
    // Starting serverless-offline takes far longer than the sink needs for a seed, so users keep trickling in
    // from the moment the second instance serves its functions until its consumer is in the group: the
    // join's rebalance then lands while the first instance has batches in flight.
    await eventually(
      'the second instance to serve its Lambda API',
      async () => ((await portOpen('127.0.0.1', secondInstance.lambda)) ? true : undefined),
      180_000,
    );
    const flowing: string[] = [];
    let firstAtJoin = 0;
    const lagAtJoin = await eventually(
      "the second instance's event source to join the group",
      async () => {
        if (run.instance(secondInstance).output().includes(`consuming ${run.names.topic} as group`)) {
          firstAtJoin = run.instance().output().length;
          return ((await run.summary()).lag ?? []).reduce((sum, p) => sum + p.lag, 0);
        }
        if (flowing.length - (await run.countIn(flowing)) < backlog) {
          flowing.push(...(await run.fetch(`rebalance-flow-${flowing.length}`, trickle)));
        }
        return undefined;
      },
      180_000,
    );
    await joining;
    const recovery = performance.now();
    // Users fetched after the join are keyed over all six partitions, so both instances get some.
    await run.fetch('after-rebalance', backlog);
    const outcome = await run.settle('rebalance-mid-batch', recovery);
    const second = sinkInvocations(run.instance(secondInstance).output(), run.names.topic);
    const firstAfterJoin = sinkInvocations(run.instance().output().slice(firstAtJoin), run.names.topic);
    const code = await run.stop(secondInstance);

    console.log(
      `rebalance: ${atStart} of ${total} in Cassandra when the second instance started, ${flowing.length} more ` +
        `users fetched until it joined, ${lagAtJoin} records uncommitted when the join was seen; sink-users invocations ` +
        `since the join: first instance ${describeShare(firstAfterJoin)}, second ${describeShare(second)}`,
    );
    expect(atStart).toBeLessThan(total);
    // The rebalance found records on the topic that the group had not committed: batches in flight.
    expect(lagAtJoin).toBeGreaterThan(0);
    // Both instances invoked sink-users after the join, each on the partitions of its own share.
    expect(second.length).toBeGreaterThan(0);
    expect(firstAfterJoin.length).toBeGreaterThan(0);
    expect(code).toBe(0);
    expectClean(outcome);
  });
});
