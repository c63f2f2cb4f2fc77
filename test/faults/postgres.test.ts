/**
 * PostgreSQL unreachable to the functions, through the fault proxy in front of it (the machine's own server
 * keeps running, and so does the local EventBridge's store on it, as on AWS where the bus does not share the
 * database's fate). The outage that lost a whole run's users before this suite existed: store-users fails
 * for a minute, the bus keeps retrying under the rule's retry policy, and every user arrives once it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/stack.ts';
import { expectClean, FaultRun } from './harness.ts';

const total = 3000;
const outageMs = 60_000;
let run: FaultRun;

beforeAll(async () => {
  run = await FaultRun.open('fpg');
  await run.start();
}, 300_000);

afterAll(async () => {
  run?.postgresProxy.restore();
  await run?.close();
}, 180_000);

describe('PostgreSQL unreachable to the functions', () => {
  it('for 60 s across a fetch: the bus retries store-users until it is back, and nothing is lost', async () => {
    const stored = (await run.summary()).stored ?? 0;
    run.postgresProxy.cut();
    let during: Awaited<ReturnType<FaultRun['summary']>>;
    try {
      const fetchedAt = performance.now();
      await run.fetch('outage', total);
      // The events wait on the bus while every store-users delivery fails.
      during = await eventually('the bus to hold the undelivered UsersFetched', async () => {
        const s = await run.summary();
        return (s.busPending ?? 0) > 0 ? s : undefined;
      });
      await new Promise((resolve) => setTimeout(resolve, outageMs - (performance.now() - fetchedAt)));
      during = await run.summary();
    } finally {
      run.postgresProxy.restore();
    }
    const recovery = performance.now();
    const outcome = await run.settle('postgres-unreachable-60s', recovery);

    expect(during.stored).toBe(stored);
    expect(during.busPending).toBeGreaterThan(0);
    expectClean(outcome);
  });

  it('stalled for 20 s mid-run (connections open, no byte moving): the work resumes once bytes move, nothing lost', async () => {
    const ids = await run.fetch('stall', total);
    await eventually('some of the seed stored', async () => {
      const s = await run.summary();
      return (s.stored ?? 0) > 0 ? true : undefined;
    });
    run.postgresProxy.stall();
    try {
      await new Promise((resolve) => setTimeout(resolve, 20_000));
    } finally {
      run.postgresProxy.restore();
    }
    const recovery = performance.now();
    const outcome = await run.settle('postgres-stalled-20s', recovery);

    expect(ids).toHaveLength(total);
    expectClean(outcome);
  });
});
