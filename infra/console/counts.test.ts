import type cassandra from 'cassandra-driver';
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { collectSummary, pacedSummary } from './counts.ts';

/** Sources whose every read answers, the bus's from `bus`. */
function sources(bus: { query: (sql: string) => Promise<{ rows: unknown[] }> }) {
  const offsets = [{ partition: 0, offset: '0', high: '4', low: '0' }];
  const admin = {
    fetchTopicOffsets: async () => offsets,
    fetchOffsets: async () => [{ topic: 't', partitions: [{ partition: 0, offset: '4' }] }],
  } as unknown as Admin;
  const cql = { execute: async () => ({ rowLength: 7, pageState: null }) } as unknown as cassandra.Client;
  const pg = {
    query: async (sql: string) =>
      sql.includes('FROM outbox')
        ? { rows: [{ pending: '1', published: '6', dead: '0' }] }
        : { rows: [{ n: '7' }] },
  };
  return {
    pg: pg as never,
    bus: bus as never,
    admin,
    cql,
    topic: 't',
    deadLetterTopic: 't.dlq',
    groupId: 'g',
    keyspace: 'k',
    fetched: () => 7,
  };
}

describe('collectSummary', () => {
  it("reads the local EventBridge's pending deliveries and dead letters from its own tables", async () => {
    const bus = {
      query: async (sql: string) => {
        expect(sql).toContain('local_eventbridge.deliveries');
        return { rows: [{ pending: '3', dead: '2' }] };
      },
    };

    const reading = await collectSummary(sources(bus));

    expect(reading).toMatchObject({
      fetched: 7,
      busPending: 3,
      busDeadLettered: 2,
      stored: 7,
      outboxPending: 1,
    });
  });

  it('leaves the bus unread (?) when its tables cannot be read, and reads the rest', async () => {
    const bus = {
      query: async () => {
        throw new Error('relation "local_eventbridge.deliveries" does not exist');
      },
    };

    const reading = await collectSummary(sources(bus));

    expect(reading).not.toHaveProperty('busPending');
    expect(reading).not.toHaveProperty('busDeadLettered');
    expect(reading).toMatchObject({ stored: 7, outboxPending: 1, cassandraRows: 7 });
  });
});

/**
 * Sources with nothing pending on the bus or in the outbox, whose sink group has committed offset 4 of a
 * topic ending at `topic.high`: users flow while it is above 4, and the pipeline is quiet at 4.
 */
function flowingSources(topic: { high: number }) {
  const src = sources({ query: async () => ({ rows: [{ pending: '0', dead: '0' }] }) });
  src.pg = {
    query: async (sql: string) => ({
      rows: [sql.includes('FROM outbox') ? { pending: '0', published: '7', dead: '0' } : { n: '7' }],
    }),
  } as never;
  src.admin = {
    fetchTopicOffsets: async () => [
      { partition: 0, offset: String(topic.high), high: String(topic.high), low: '0' },
    ],
    fetchOffsets: async () => [{ topic: 't', partitions: [{ partition: 0, offset: '4' }] }],
  } as unknown as Admin;
  return src;
}

describe('pacedSummary', () => {
  it('counts a large table again only when its share of the time allows, and serves the last count between', async () => {
    let now = 0;
    let cassandraReads = 0;
    const src = sources({ query: async () => ({ rows: [{ pending: '0', dead: '0' }] }) });
    // Cassandra's count takes 2 s of the clock (the reads share the clock, so the others seem slow too).
    src.cql = {
      execute: async () => {
        cassandraReads++;
        now += 2000;
        return { rowLength: cassandraReads * 100, pageState: null };
      },
    } as unknown as cassandra.Client;
    // Six stage reads share 6%: 1% each, and the first read of each is paced at the whole 6%.
    const read = pacedSummary(src, { share: 0.06, waitMs: 50, now: () => now });

    const first = await read();
    now += 40_000; // 2 s × 94 / 6 = 31.3 s after the first count ended: due again
    const second = await read();
    now += 100_000;
    const third = await read();
    now += 98_000; // 2 s × 99 = 198 s after the second count ended
    const fourth = await read();

    expect(first).toMatchObject({ cassandraRows: 100, stored: 7, readAt: { cassandraRows: 2000 } });
    expect(second).toMatchObject({ cassandraRows: 200, readAt: { cassandraRows: 44_000 } });
    expect(third).toMatchObject({ cassandraRows: 200, readAt: { cassandraRows: 44_000 } });
    expect(fourth).toMatchObject({ cassandraRows: 300, readAt: { cassandraRows: 244_000 } });
    expect(cassandraReads).toBe(3);
  });

  it('keeps all the stage reads together within the share, each an equal part of it', async () => {
    let now = 0;
    let busy = 0;
    /** A read that takes `ms` of the clock. */
    const takes = <T>(ms: number, value: T) => {
      now += ms;
      busy += ms;
      return value;
    };
    const src = sources({ query: async () => takes(5, { rows: [{ pending: '0', dead: '0' }] }) });
    // The PostgreSQL counts take 40 ms, Cassandra's 3 s, Kafka's 2 ms.
    src.pg = {
      query: async () => takes(40, { rows: [{ n: '7', pending: '0', published: '7', dead: '0' }] }),
    } as never;
    src.cql = {
      execute: async () => takes(3000, { rowLength: 7, pageState: null }),
    } as unknown as cassandra.Client;
    const kafka = src.admin;
    src.admin = {
      fetchTopicOffsets: async (topic: string) => takes(2, await kafka.fetchTopicOffsets(topic)),
      fetchOffsets: async (request: never) => takes(2, await kafka.fetchOffsets(request)),
    } as unknown as Admin;
    const read = pacedSummary(src, { share: 0.01, waitMs: 50, now: () => now });
    await read(); // the first reading reads everything
    const start = now;
    busy = 0;

    for (let second = 0; second < 3 * 3600; second++) {
      now += 1000;
      await read();
    }

    // One reading a second for three hours: 1% of the time at most, for all six reads together.
    expect(busy / (now - start)).toBeLessThanOrEqual(0.01);
    expect(busy).toBeGreaterThan(0);
  });

  it('brings the figures read while users flowed up to date once the pipeline goes quiet, once', async () => {
    let now = 0;
    let cassandraReads = 0;
    const topic = { high: 4 };
    const src = flowingSources(topic);
    // Under load Cassandra's count takes 300 ms (after the other reads have ended, so only it is slow): a
    // sixth of 1% rests it 180 s.
    src.cql = {
      execute: async () => {
        cassandraReads++;
        await new Promise((resolve) => setImmediate(resolve));
        now += 300;
        return { rowLength: cassandraReads, pageState: null };
      },
    } as unknown as cassandra.Client;
    const read = pacedSummary(src, { share: 0.01, waitMs: 1000, now: () => now });
    const readings = async (seconds: number) => {
      for (let s = 0; s < seconds; s++) {
        now += 1000;
        await read();
      }
    };
    await read();
    topic.high = 10; // users flow: 6 records wait
    await readings(40);
    const whileFlowing = cassandraReads;
    await readings(35); // still flowing: no count is due
    expect(cassandraReads).toBe(whileFlowing);

    topic.high = 4; // (the test's stand-in for the group catching up) nothing waits any more
    await readings(35); // within 1% of the 300 ms count: 30 s after it
    const afterQuiet = cassandraReads;
    await readings(60); // quiet on: paced as before, no second catch-up
    const later = await read();

    expect(afterQuiet).toBe(whileFlowing + 1);
    expect(cassandraReads).toBe(afterQuiet);
    expect(later.cassandraRows).toBe(afterQuiet);
    expect(later.lag).toEqual([{ partition: 0, lag: 0 }]);
  });

  it('reads again a count that was under way when the pipeline went quiet, as it may have missed the last writes', async () => {
    let now = 0;
    let cassandraReads = 0;
    let finishScan: (() => void) | undefined;
    const topic = { high: 4 };
    const src = flowingSources(topic);
    // The second scan hangs until the test lets it finish: it starts while users flow and ends after.
    src.cql = {
      execute: async () => {
        cassandraReads++;
        if (cassandraReads === 2) await new Promise<void>((resolve) => (finishScan = resolve));
        return { rowLength: cassandraReads, pageState: null };
      },
    } as unknown as cassandra.Client;
    const read = pacedSummary(src, { share: 0.01, waitMs: 1, now: () => now });
    const readings = async (count: number, stepMs: number) => {
      for (let s = 0; s < count; s++) {
        now += stepMs;
        await read();
      }
    };
    await read();
    topic.high = 10; // users flow; the count is due again at once (it took no time), and hangs
    await readings(3, 10);
    expect(cassandraReads).toBe(2);
    topic.high = 4; // quiet, while the scan is still under way
    await readings(3, 10);
    finishScan?.(); // it ends after the quiet moment, but began before it: about 60 ms, so 6 s at 1%
    await readings(1, 10);
    expect((await read()).readAt.cassandraRows).toBe(70);
    await readings(10, 1000);

    // Paced alone, the 60 ms scan would rest 36 s (a sixth of 1%); read again within 10 s, the count is new.
    expect(cassandraReads).toBeGreaterThan(2);
    const last = await read();
    expect(last.cassandraRows).toBe(cassandraReads);
  });

  it('leaves out a stage whose read fails, without its time', async () => {
    const bus = {
      query: async () => {
        throw new Error('down');
      },
    };

    const reading = await pacedSummary(sources(bus))();

    expect(reading).not.toHaveProperty('busPending');
    expect(reading.readAt).not.toHaveProperty('bus');
    expect(reading.readAt).toHaveProperty('cassandraRows');
  });
});

describe("Cassandra's row count", () => {
  it('counts page by page, so a large table needs no single long request', async () => {
    const pages = [
      { rowLength: 5000, pageState: 'p1' },
      { rowLength: 1234, pageState: null },
    ];
    const asked: Array<string | undefined> = [];
    const src = sources({ query: async () => ({ rows: [{ pending: '0', dead: '0' }] }) });
    src.cql = {
      execute: async (_query: string, _params: unknown[], options: { pageState?: string }) => {
        asked.push(options.pageState);
        return pages[asked.length - 1];
      },
    } as unknown as cassandra.Client;

    const reading = await collectSummary(src);

    expect(reading.cassandraRows).toBe(6234);
    expect(asked).toEqual([undefined, 'p1']);
  });
});
