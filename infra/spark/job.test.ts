import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { repoRoot } from '../../lib/paths.ts';
import { loadStackConfig } from '../local/config.ts';
import { SPARK_JDK17_OPTIONS, sparkVersion } from '../local/spark.ts';
import {
  type BatchProgress,
  driverArgs,
  jobMarker,
  mainClass,
  parseBatchLine,
  parseFirstBatchLine,
  steadyRowsPerSecond,
  submitOptions,
} from './job.ts';

const cfg = loadStackConfig({ LOCAL_STACK_DIR: '/tmp/stack' });
const paths = { jobJar: '/repo/infra/spark/target/users-stream.jar', jars: '/repo/.local/jars/spark' };

/** The value following `flag` in `args`. */
function valueAfter(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe('driverArgs', () => {
  it('runs the job on local[2] with the JDK 17 flags, a heap cap and the stack marker', () => {
    const { args, checkpoint } = driverArgs(cfg, {}, paths);

    expect(checkpoint).toBe('/tmp/stack/spark/checkpoints/users_created');
    expect(args).toEqual(expect.arrayContaining([...SPARK_JDK17_OPTIONS, jobMarker(checkpoint)]));
    expect(args[0]).toBe(`-Xmx${cfg.spark.driverMemory}`);
    expect(valueAfter(args, '-cp')).toBe(`${paths.jobJar}:${paths.jars}/*`);
    expect(args.indexOf(mainClass)).toBeGreaterThan(args.indexOf(jobMarker(checkpoint)));
    expect(valueAfter(args, '--master')).toBe('local[2]');
    expect(valueAfter(args, '--bootstrap-servers')).toBe('127.0.0.1:9092');
    expect(valueAfter(args, '--cassandra')).toBe('127.0.0.1:9042');
    expect(args).not.toContain('--parity');
    expect(args.filter((a) => a.startsWith('spark.jars='))).toEqual([]);
  });

  it('ships the job jar to the executors of a standalone master and caps their memory', () => {
    const { args } = driverArgs(cfg, { master: 'spark://127.0.0.1:7077', parity: true }, paths);
    const conf = args.flatMap((a, i) => (args[i - 1] === '--conf' ? [a] : []));

    expect(conf).toEqual(
      expect.arrayContaining([
        `spark.jars=${paths.jobJar}`,
        'spark.driver.host=127.0.0.1',
        `spark.executor.memory=${cfg.spark.executorMemory}`,
      ]),
    );
    expect(args).toContain('--parity');
  });

  it('lets the caller override a setting and pass options through', () => {
    const { args, checkpoint } = driverArgs(
      cfg,
      {
        master: 'spark://127.0.0.1:7077',
        topic: 't1',
        conf: { 'spark.executor.memory': '512m' },
        extraArgs: ['--watermark', '5 minutes'],
      },
      paths,
    );

    expect(checkpoint).toBe('/tmp/stack/spark/checkpoints/t1');
    expect(args).toContain('spark.executor.memory=512m');
    expect(args).not.toContain(`spark.executor.memory=${cfg.spark.executorMemory}`);
    expect(args.slice(-2)).toEqual(['--watermark', '5 minutes']);
  });
});

describe('submitOptions', () => {
  it('takes master, checkpoint and topic, and passes the rest to the job in order', () => {
    const opts = submitOptions(['--parity', '--master', 'spark://h:7077', '--topic', 't', '--conf', 'a=b']);

    expect(opts).toEqual({ master: 'spark://h:7077', topic: 't', extraArgs: ['--parity', '--conf', 'a=b'] });
  });
});

describe('progress lines', () => {
  const line =
    'users-stream batch query=aggregates batch=3 rows_in=1200 rows_per_s=850.3 duration_ms=1412 ' +
    'watermark=2026-01-01T09:54:00.000Z rejected=2';

  it('reads a batch line', () => {
    expect(parseBatchLine(line)).toEqual({
      query: 'aggregates',
      batch: 3,
      rowsIn: 1200,
      rowsPerSecond: 850.3,
      durationMs: 1412,
      watermark: '2026-01-01T09:54:00.000Z',
      rejected: 2,
    });
    expect(parseBatchLine('12:00:00 WARN something')).toBeUndefined();
  });

  it('reads a first-batch line', () => {
    const first =
      'users-stream first_batch query=created_users rows_in=2000 duration_ms=8931 since_jvm_start_ms=13639';

    expect(parseFirstBatchLine(first)).toEqual({
      query: 'created_users',
      rowsIn: 2000,
      durationMs: 8931,
      sinceJvmStartMs: 13639,
    });
    expect(parseFirstBatchLine(line)).toBeUndefined();
  });

  it('measures the steady rate without the first batch with data, and per query', () => {
    const batch = (query: string, rowsIn: number, durationMs: number): BatchProgress => ({
      query,
      batch: 0,
      rowsIn,
      rowsPerSecond: 0,
      durationMs,
      watermark: '-',
      rejected: 0,
    });
    const batches = [
      batch('aggregates', 0, 500),
      batch('aggregates', 1000, 9000),
      batch('aggregates', 1000, 500),
      batch('created_users', 5000, 1),
      batch('aggregates', 3000, 1500),
    ];

    expect(steadyRowsPerSecond(batches, 'aggregates')).toBe(2000);
    expect(steadyRowsPerSecond(batches.slice(0, 2), 'aggregates')).toBeUndefined();
  });
});

describe('docker-compose.yml', () => {
  it('runs the Spark version of the job POM', () => {
    const compose = z
      .object({ services: z.record(z.string(), z.object({ image: z.string().optional() })) })
      .parse(parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')));

    for (const name of ['spark-master', 'spark-worker']) {
      expect(compose.services[name]?.image).toMatch(
        new RegExp(`^apache/spark:${sparkVersion().replaceAll('.', '\\.')}-`),
      );
    }
  });
});
