import { describe, expect, it } from 'vitest';
import type { BatchProgress } from '../infra/spark/job.ts';
import { SparkPeerError } from './lib/errors.ts';
import { sparkPeerSchema } from './lib/results.ts';
import { checkRowsWritten, drainTimeoutMs, parityQuery, sinkVsSpark, sparkFigures } from './peer-spark.ts';

const batch = (
  query: string,
  n: number,
  rowsIn: number,
  durationMs: number,
  rejected = 0,
): BatchProgress => ({
  query,
  batch: n,
  rowsIn,
  rowsPerSecond: durationMs > 0 ? (rowsIn * 1000) / durationMs : 0,
  durationMs,
  watermark: '-',
  rejected,
});

// What the job prints (infra/spark/README.md), the aggregates query interleaved with the parity one.
const lines = [
  'users-stream first_batch query=aggregates rows_in=500 duration_ms=6100 since_jvm_start_ms=9000',
  'users-stream first_batch query=created_users rows_in=500 duration_ms=5200 since_jvm_start_ms=8100',
];

describe('sparkFigures', () => {
  it("takes the created_users query's steady rate after its first batch with data, and its first batch", () => {
    const batches = [
      batch(parityQuery, 0, 0, 300),
      batch(parityQuery, 1, 500, 5200),
      batch('aggregates', 1, 500, 6100),
      batch(parityQuery, 2, 500, 250),
      batch(parityQuery, 3, 500, 250),
      batch('aggregates', 2, 500, 100),
    ];

    const figures = sparkFigures(batches, lines);

    // 1000 rows in 500 ms: the first batch (start-up) and the other query are left out.
    expect(figures.steadyPerSecond).toBe(2000);
    expect(figures).toMatchObject({ rowsIn: 1500, rejected: 0, batches: 3 });
    expect(figures.firstBatch).toEqual({
      query: parityQuery,
      rowsIn: 500,
      durationMs: 5200,
      sinceJvmStartMs: 8100,
    });
  });

  it('fails with a code when there is no first batch or no batch after it', () => {
    const oneBatch = [batch(parityQuery, 0, 3000, 4000)];

    const noFirst = () => sparkFigures(oneBatch, lines.slice(0, 1));
    const noSteady = () => sparkFigures(oneBatch, lines);

    expect(noFirst).toThrow(expect.objectContaining({ code: 'SPARK_NO_FIRST_BATCH' }));
    expect(noSteady).toThrow(SparkPeerError);
    expect(noSteady).toThrow(expect.objectContaining({ code: 'SPARK_NO_STEADY_RATE' }));
    expect(noSteady).toThrow(/had 1 batch\(es\) with data/);
  });
});

describe('checkRowsWritten', () => {
  it('passes when the keyspace holds a row per record, and names the keyspace and the gap otherwise', () => {
    expect(() => checkRowsWritten('bench_spark_x', 3000, 3000)).not.toThrow();

    const missing = () => checkRowsWritten('bench_spark_x', 3000, 2990);
    const extra = () => checkRowsWritten('bench_spark_x', 3000, 3001);

    expect(missing).toThrow(expect.objectContaining({ code: 'SPARK_ROWS_MISSING', retryable: false }));
    expect(missing).toThrow('bench_spark_x.created_users holds 2990 rows for 3000 records (10 missing)');
    expect(extra).toThrow(/\(1 more than the records\)/);
  });
});

describe('sinkVsSpark', () => {
  it("is the sink's users/s over Spark's rows/s, and 0 when Spark measured nothing", () => {
    expect(sinkVsSpark(6000, 2400)).toBe(2.5);
    expect(sinkVsSpark(6000, 0)).toBe(0);
  });
});

describe('drainTimeoutMs', () => {
  it("leaves the job its start-up plus 100 records per second: 2 minutes and a half for a quick run's 3000", () => {
    expect(drainTimeoutMs(3000)).toBe(150_000);
    expect(drainTimeoutMs(30_000)).toBe(420_000);
  });
});

describe('sparkPeerSchema', () => {
  it('accepts what the phase returns and refuses a run without batches', () => {
    const peer = {
      master: 'local[2]',
      records: 3000,
      recordsPerBatch: 500,
      rowsWritten: 3000,
      batches: 6,
      steadyPerSecond: 2000,
      firstBatch: { sinceStartMs: 8100, durationMs: 5200, rows: 500 },
      wallSeconds: 14.2,
      sinkPerSecond: 6000,
      sinkRatio: 3,
    };

    expect(sparkPeerSchema.parse(peer)).toEqual(peer);
    expect(sparkPeerSchema.safeParse({ ...peer, batches: 0 }).success).toBe(false);
  });
});
