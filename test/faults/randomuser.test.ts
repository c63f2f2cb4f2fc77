/**
 * randomuser.me's known ways of failing, served by the run's own stand-in (infra/randomuser) during a fetch:
 * a 429 with Retry-After, 5xx answers, a 200 with no results, a body cut short, and a slow answer. fetch-users
 * retries each of them within its budget (withRetry, functions/lib/retry.ts), so every case ends with the
 * whole seed in Cassandra exactly once; the stand-in's counters show each fault was really served. One more
 * case goes past the budget: the run fails with its typed error, and the same seed fetched again (as
 * EventBridge's retry of the scheduled event does) delivers every user, none twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/lib/settings.ts';
import { InvokeError } from '../../infra/dev/offline.ts';
import { expectClean, FaultRun } from './harness.ts';

const total = 2000;
/**
 * The retry settings fetch-users runs with: `sls offline start` inherits this process's environment, and the
 * local stage passes FETCH_* on from it, so this is the function's own reading of them.
 */
const { maxAttempts, timeoutMs, pageSize } = parseConfig(process.env).fetch;
let run: FaultRun;

beforeAll(async () => {
  run = await FaultRun.open('frandom');
  await run.start();
}, 300_000);

afterEach(() => {
  // Faults, counters and rate-limit windows back to nothing, so each case sees only its own.
  run?.randomuser.reset();
});

afterAll(async () => {
  await run?.close();
}, 180_000);

describe('randomuser faults during a fetch', () => {
  it('each seed here is one page, so every fault below falls on one request and its retries', () => {
    expect(total).toBeLessThanOrEqual(pageSize);
  });

  it('429 with Retry-After: fetch-users waits as told and fetches the page once the window ends', async () => {
    // The first fetch opens a 4-second window and fills it; the second asks within it and is refused
    // until it ends. A 429's wait is its Retry-After (1 s) plus jitter, so at most 4 refusals fit in the
    // window: the page is served by attempt 5 at the latest, within FETCH_MAX_ATTEMPTS (6 by default).
    const windowMs = 4000;
    expect(Math.ceil(windowMs / 1000)).toBeLessThan(maxAttempts);
    run.randomuser.setFaults({ rateLimit: { users: total / 2, windowMs }, retryAfterSeconds: 1 });
    await run.fetch('rate-limit-a', total / 2);
    await run.fetch('rate-limit-b', total / 2);
    const recovery = performance.now();
    const outcome = await run.settle('randomuser-429-retry-after', recovery);
    const stats = run.randomuser.stats();

    expect(stats.faults.rateLimited).toBeGreaterThan(0);
    expect(stats.byStatus['429']).toBe(stats.faults.rateLimited);
    expect(stats.recent.at(-1)?.status).toBe(200);
    expect(stats.usersServed).toBe(total);
    expectClean(outcome);
  });

  it('5xx: three 503s in a row, and the fourth attempt is served', async () => {
    // Backoff ceilings 250, 500 and 1000 ms before attempts 2 to 4: well within the attempts and the
    // function's 120-second timeout.
    const failures = 3;
    expect(failures).toBeLessThan(maxAttempts);
    run.randomuser.setFaults({ failNext: failures });
    await run.fetch('5xx', total);
    const recovery = performance.now();
    const outcome = await run.settle('randomuser-5xx', recovery);
    const stats = run.randomuser.stats();

    expect(stats.faults.error).toBe(failures);
    expect(stats.byStatus['503']).toBe(failures);
    expect(stats.requests).toBe(failures + 1);
    expect(stats.usersServed).toBe(total);
    expectClean(outcome);
  });

  it('empty results: two 200s with `results: []` are retried like an outage', async () => {
    // EmptyResultsError is retryable (randomuser has answered this way during outages): attempt 3 is served.
    const empties = 2;
    expect(empties).toBeLessThan(maxAttempts);
    run.randomuser.setFaults({ emptyNext: empties });
    await run.fetch('empty', total);
    const recovery = performance.now();
    const outcome = await run.settle('randomuser-empty', recovery);
    const stats = run.randomuser.stats();

    expect(stats.faults.empty).toBe(empties);
    expect(stats.requests).toBe(empties + 1);
    expect(stats.usersServed).toBe(total);
    expectClean(outcome);
  });

  it('truncated body: two responses cut mid-body are retried, and no partial page is published', async () => {
    // A body cut short is a MalformedResponseError (RANDOMUSER_TRUNCATED), retryable; the page is parsed only
    // once it is whole, so none of a cut page's users is published: attempt 3 is served.
    const truncations = 2;
    expect(truncations).toBeLessThan(maxAttempts);
    run.randomuser.setFaults({ truncateNext: truncations });
    await run.fetch('truncated', total);
    const recovery = performance.now();
    const outcome = await run.settle('randomuser-truncated', recovery);
    const stats = run.randomuser.stats();

    expect(stats.faults.truncate).toBe(truncations);
    expect(stats.requests).toBe(truncations + 1);
    expect(stats.usersServed).toBe(total);
    expectClean(outcome);
  });

  it('slow: an answer 1.5 s late is waited for, not retried', async () => {
    // Far below FETCH_TIMEOUT_MS (15 s by default), so the first attempt completes and no retry is spent.
    const latencyMs = 1500;
    expect(latencyMs).toBeLessThan(timeoutMs);
    run.randomuser.setFaults({ latencyMs });
    await run.fetch('slow', total);
    const recovery = performance.now();
    const outcome = await run.settle('randomuser-slow', recovery);
    const stats = run.randomuser.stats();

    expect(stats.faults.delayed).toBe(1);
    expect(stats.requests).toBe(1);
    expect(stats.usersServed).toBe(total);
    expectClean(outcome);
  });

  it('5xx past the retry budget: the run fails with its typed error, and fetching the seed again loses nothing', async () => {
    run.randomuser.setFaults({ failNext: maxAttempts });
    const storedBefore = (await run.summary()).stored;
    const failure = await run.fetch('5xx-exhausted', total).catch((error: unknown) => error);
    const atFailure = run.randomuser.stats();
    const storedAfterFailure = (await run.summary()).stored;
    // EventBridge retries a failed scheduled invocation with the same event, hence the same seed.
    await run.fetch('5xx-exhausted', total);
    const recovery = performance.now();
    const outcome = await run.settle('randomuser-5xx-past-budget', recovery);

    // fetch-users' own error, as the Invoke API reports it: its retries spent on the page's last 503.
    expect(failure).toBeInstanceOf(InvokeError);
    expect(String(failure)).toMatch(/RetriesExhaustedError/);
    expect(String(failure)).toMatch(new RegExp(`failed after ${maxAttempts} attempts .*HTTP 503`));
    expect(atFailure.requests).toBe(maxAttempts);
    expect(atFailure.faults.error).toBe(maxAttempts);
    expect(atFailure.usersServed).toBe(0);
    // The failed run published nothing, so there was nothing partial to lose or to store twice.
    expect(storedAfterFailure).toBe(storedBefore);
    expect(run.randomuser.stats().usersServed).toBe(total);
    expectClean(outcome);
  });
});
