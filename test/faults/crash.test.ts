/**
 * `sls offline start` SIGKILLed at the three points where the pipeline holds users in flight: right after
 * fetch-users answered (the users exist only as accepted events on the bus), between store and relay (in
 * PostgreSQL's outbox, not yet on Kafka), and mid-sink (on Kafka, partly in Cassandra). Each time a new
 * `sls offline start` must finish the work: every user in Cassandra exactly once, nothing dead-lettered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/stack.ts';
import { expectClean, FaultRun } from './harness.ts';

const total = 3000;
let run: FaultRun;

beforeAll(async () => {
  run = await FaultRun.open('fcrash');
  await run.start();
}, 300_000);

afterAll(async () => {
  await run?.close();
}, 180_000);

describe('SIGKILL of sls offline start', () => {
  it('right after a fetch: the accepted events survive on the bus and are delivered after the restart', async () => {
    await run.fetch('after-fetch', total);
    const atKill = await run.summary();
    await run.kill();
    const recovery = performance.now();
    await run.start();
    const outcome = await run.settle('sigkill-after-fetch', recovery);

    // The kill came while the bus still held deliveries (fetch-users had answered, store-users had not
    // stored everything), so the restart had something to recover.
    expect((atKill.busPending ?? 0) + (total - (atKill.stored ?? 0))).toBeGreaterThan(0);
    expectClean(outcome);
  });

  it('between store and relay: the outbox rows left unpublished go out after the restart', async () => {
    await run.fetch('store-relay', total);
    // Killed at the first sight of stored rows the relay has not published yet. A batch waits in the outbox
    // only until its UsersStored event wakes the relay, tens of milliseconds here, so the wait polls one
    // cheap count every 5 ms: the whole summary (a Cassandra scan among its reads) took long enough between
    // two looks to miss every batch of a run (CI, 2026-12-07).
    const pending = await eventually(
      'stored users the relay has not published yet',
      async () => {
        const n = await run.outboxPending();
        return n > 0 ? n : undefined;
      },
      120_000,
      5,
    );
    await run.kill();
    const recovery = performance.now();
    await run.start();
    const outcome = await run.settle('sigkill-between-store-and-relay', recovery);

    expect(pending).toBeGreaterThan(0);
    expectClean(outcome);
  });

  it('mid-sink: the records not yet committed are delivered again and upserted once', async () => {
    const atKill = await run.fetchPartWay('mid-sink', total);
    await run.kill();
    const recovery = performance.now();
    await run.start();
    const outcome = await run.settle('sigkill-mid-sink', recovery);

    expect(atKill).toBeLessThan(total);
    expectClean(outcome);
  });
});
