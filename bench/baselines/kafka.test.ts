// The tool runs are exercised with a stand-in for `java`: a shell script that prints what Kafka's tool
// printed (or fails), so every way a run can end is checked without a JVM or a broker.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineSchema } from '../lib/results.ts';
import { BaselineOptionsError, KafkaToolError } from './errors.ts';
import { kafkaConsumerBaseline, kafkaProducerBaseline } from './kafka.ts';

let dir: string;
let jarsDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-baseline-test-'));
  jarsDir = join(dir, 'jars');
  mkdirSync(jarsDir);
  // Only its name is checked.
  writeFileSync(join(jarsDir, 'kafka-tools-4.3.1.jar'), '');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A fake `java` that writes `stdout` and `stderr` and exits with `code`. */
function fakeJava(
  name: string,
  script: { stdout?: string; stderr?: string; code?: number; sleep?: number },
): string {
  const file = join(dir, name);
  const lines = ['#!/bin/sh'];
  if (script.stdout !== undefined) lines.push(`cat <<'OUT'\n${script.stdout}\nOUT`);
  if (script.stderr !== undefined) lines.push(`cat >&2 <<'ERR'\n${script.stderr}\nERR`);
  if (script.sleep !== undefined) lines.push(`exec sleep ${script.sleep}`);
  lines.push(`exit ${script.code ?? 0}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  chmodSync(file, 0o755);
  return file;
}

const producerSummary =
  '50000 records sent, 5475.851495 records/sec (5.22 MB/sec), 1864.13 ms avg latency, 2947.00 ms max latency, ' +
  '2109 ms 50th, 2822 ms 95th, 2903 ms 99th, 2942 ms 99.9th.';

const consumerOutput = [
  'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, ' +
    'fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
  '2026-11-24 07:33:49:426, 2026-11-24 07:33:54:275, 47.7982, 9.8573, 50120, 10336.1518, 1553, 3296, 14.5019, ' +
    '15206.3107',
].join('\n');

const base = { topic: 't', brokers: ['127.0.0.1:9092'] };

describe('kafkaProducerBaseline', () => {
  it('returns the tool summary as the kafka-producer baseline', async () => {
    // Arrange
    const java = fakeJava('producer-ok', { stdout: producerSummary });

    // Act
    const baseline = await kafkaProducerBaseline({
      ...base,
      records: 50000,
      recordBytes: 1000,
      jarsDir,
      java,
    });

    // Assert
    expect(baselineSchema.parse(baseline)).toEqual(baseline);
    expect(baseline).toMatchObject({
      id: 'kafka-producer',
      name: 'kafka ProducerPerformance (acks=all)',
      records: 50000,
      recordBytes: 1000,
      perSecond: 5475.851495,
    });
    expect(baseline.seconds).toBeCloseTo(50000 / 5475.851495, 6);
    expect(baseline.details).toMatchObject({
      producerProps: 'acks=all linger.ms=5 batch.size=65536',
      p99LatencyMs: 2903,
    });
  });

  it('fails with the stderr tail when the JVM exits non-zero', async () => {
    // Arrange
    const java = fakeJava('producer-exit', {
      stderr: 'Exception in thread "main" org.apache.kafka.common.KafkaException: boom',
      code: 1,
    });

    // Act
    const run = kafkaProducerBaseline({ ...base, records: 10, recordBytes: 10, jarsDir, java });

    // Assert
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaToolError);
    expect(error).toMatchObject({ failure: 'exit', code: 'KAFKA_TOOL_EXIT', exitCode: 1, retryable: false });
    expect((error as KafkaToolError).message).toContain('KafkaException: boom');
  });

  it('fails when the output has no summary', async () => {
    // Arrange
    const java = fakeJava('producer-garbage', { stdout: 'hello', stderr: 'a warning' });

    // Act
    const run = kafkaProducerBaseline({ ...base, records: 10, recordBytes: 10, jarsDir, java });

    // Assert
    await expect(run).rejects.toMatchObject({ failure: 'output', stderrTail: 'a warning' });
  });

  it('fails when fewer records were acknowledged than asked for', async () => {
    // Arrange
    const java = fakeJava('producer-short', { stdout: producerSummary });

    // Act
    const run = kafkaProducerBaseline({ ...base, records: 60000, recordBytes: 1000, jarsDir, java });

    // Assert
    await expect(run).rejects.toMatchObject({ failure: 'short', code: 'KAFKA_TOOL_SHORT' });
  });

  it('stops the tool at its deadline', async () => {
    // Arrange
    const java = fakeJava('producer-hang', { stderr: 'waiting for metadata', sleep: 30 });

    // Act
    const run = kafkaProducerBaseline({
      ...base,
      records: 10,
      recordBytes: 10,
      jarsDir,
      java,
      timeoutMs: 300,
    });

    // Assert
    await expect(run).rejects.toMatchObject({ failure: 'timeout', stderrTail: 'waiting for metadata' });
  });

  it('stops the tool when the signal aborts', async () => {
    // Arrange
    const java = fakeJava('producer-abort', { sleep: 30 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);

    // Act
    const run = kafkaProducerBaseline({
      ...base,
      records: 10,
      recordBytes: 10,
      jarsDir,
      java,
      signal: controller.signal,
    });

    // Assert
    await expect(run).rejects.toMatchObject({ failure: 'aborted' });
  });

  it('fails before starting when the jars directory has no Kafka tools', async () => {
    // Arrange
    const java = fakeJava('producer-unused', { stdout: producerSummary });

    // Act
    const run = kafkaProducerBaseline({ ...base, records: 10, recordBytes: 10, jarsDir: dir, java });

    // Assert
    await expect(run).rejects.toMatchObject({ failure: 'spawn', code: 'KAFKA_TOOL_SPAWN' });
  });

  it('fails when java cannot be started', async () => {
    // Act
    const run = kafkaProducerBaseline({
      ...base,
      records: 10,
      recordBytes: 10,
      jarsDir,
      java: join(dir, 'nope'),
    });

    // Assert
    await expect(run).rejects.toMatchObject({ failure: 'spawn' });
  });

  it('refuses invalid options', async () => {
    // Act
    const run = kafkaProducerBaseline({ ...base, records: 0, recordBytes: 10, jarsDir });

    // Assert
    await expect(run).rejects.toBeInstanceOf(BaselineOptionsError);
  });
});

describe('kafkaConsumerBaseline', () => {
  it('reports the fetch rate, with the headline rate in the details', async () => {
    // Arrange
    const java = fakeJava('consumer-ok', { stdout: consumerOutput });

    // Act
    const baseline = await kafkaConsumerBaseline({ ...base, records: 50000, jarsDir, java, group: 'g' });

    // Assert
    expect(baselineSchema.parse(baseline)).toEqual(baseline);
    expect(baseline).toMatchObject({
      id: 'kafka-consumer',
      records: 50120,
      perSecond: 15206.3107,
      seconds: 3.296,
      // 47.7982 MiB over 50120 records.
      recordBytes: 1000,
    });
    expect(baseline.details).toMatchObject({
      group: 'g',
      rate: 'fetch.nMsg.sec',
      nMsgPerSecond: 10336.1518,
      rebalanceMs: 1553,
    });
  });

  it('fails when the tool stopped on its idle timeout', async () => {
    // Arrange
    const java = fakeJava('consumer-short', {
      stdout: consumerOutput.replace(
        '\n',
        '\nWARNING: Exiting before consuming the expected number of records: timeout (3000 ms) exceeded.\n',
      ),
    });

    // Act
    const run = kafkaConsumerBaseline({ ...base, records: 50000, jarsDir, java });

    // Assert
    await expect(run).rejects.toMatchObject({ failure: 'short' });
  });

  it('fails when the output has no summary row', async () => {
    // Arrange
    const java = fakeJava('consumer-garbage', { stdout: 'nothing useful' });

    // Act
    const run = kafkaConsumerBaseline({ ...base, records: 10, jarsDir, java });

    // Assert
    await expect(run).rejects.toMatchObject({ failure: 'output' });
  });
});
