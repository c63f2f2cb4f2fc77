import { describe, expect, it } from 'vitest';
import { type ControllerOptions, MappingBusyError, MappingController } from './control.ts';
import { parseSettings, resolveEventSources } from './options.ts';
import type { EventSourceRunner, RunnerOptions } from './runner.ts';

/** A consumer that starts and stops when the test says so, and records each start. */
class FakeConsumers {
  readonly starts: RunnerOptions[] = [];
  stops = 0;
  private release: Array<() => void> = [];

  readonly supervise = (options: RunnerOptions): EventSourceRunner => {
    this.starts.push(options);
    return {
      stop: () =>
        new Promise<void>((resolve) => {
          this.release.push(() => {
            this.stops++;
            resolve();
          });
        }),
    };
  };

  /** The last consumer started reports it joined its group. */
  joined(): void {
    this.starts.at(-1)?.observer?.started();
  }

  /** Lets every stop under way finish. */
  async stopped(): Promise<void> {
    for (const release of this.release.splice(0)) release();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function controller(
  consumers: FakeConsumers,
  options: { enabled?: boolean; readOffsets?: ControllerOptions['readOffsets'] } = {},
) {
  let clock = 1_000_000;
  const [source] = resolveEventSources({
    service: 'svc',
    stage: 'local',
    functions: {
      sinkUsers: {
        events: [
          {
            kafka: {
              topic: 't',
              bootstrapServers: ['127.0.0.1:9092'],
              enabled: options.enabled ?? true,
              metricsConfig: { metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] },
            },
          },
        ],
      },
    },
  });
  if (!source) throw new Error('no source');
  const mapping = new MappingController({
    uuid: 'u-1',
    source,
    settings: parseSettings(undefined),
    lambdaEndpoint: 'http://127.0.0.1:3002',
    region: 'eu-west-1',
    log: () => {},
    warn: () => {},
    now: () => {
      clock += 1000;
      return clock;
    },
    supervise: consumers.supervise,
    readOffsets: options.readOffsets ?? (async () => []),
  });
  return mapping;
}

describe('MappingController', () => {
  it('starts Enabling, and is Enabled once the consumer joined its group', () => {
    const consumers = new FakeConsumers();
    const mapping = controller(consumers);

    mapping.start();
    const enabling = mapping.configuration();
    consumers.joined();
    const enabled = mapping.configuration();

    expect(consumers.starts).toHaveLength(1);
    expect(enabling).toMatchObject({ State: 'Enabling', StateTransitionReason: 'USER_INITIATED' });
    expect(enabled.State).toBe('Enabled');
    expect(enabled.LastModified).toBeGreaterThan(enabling.LastModified);
  });

  it('starts no consumer for an event serverless.yml disables, and one when it is enabled', () => {
    const consumers = new FakeConsumers();
    const mapping = controller(consumers, { enabled: false });

    mapping.start();
    const before = mapping.state;
    const answer = mapping.setEnabled(true);

    expect(before).toBe('Disabled');
    expect(answer.State).toBe('Enabling');
    expect(consumers.starts).toHaveLength(1);
  });

  it('disables through Disabling while the consumer stops, then enables a new consumer', async () => {
    const consumers = new FakeConsumers();
    const mapping = controller(consumers);
    mapping.start();
    consumers.joined();

    const disabling = mapping.setEnabled(false);
    const stillStopping = mapping.state;
    await consumers.stopped();
    const disabled = mapping.state;
    const enabling = mapping.setEnabled(true);
    consumers.joined();

    expect(disabling.State).toBe('Disabling');
    expect(stillStopping).toBe('Disabling');
    expect(disabled).toBe('Disabled');
    expect(consumers.stops).toBe(1);
    expect(enabling.State).toBe('Enabling');
    expect(mapping.state).toBe('Enabled');
    expect(consumers.starts).toHaveLength(2);
  });

  it('refuses to enable while Disabling, and changes nothing when asked for the state it is in', async () => {
    const consumers = new FakeConsumers();
    const mapping = controller(consumers);
    mapping.start();
    consumers.joined();

    const same = mapping.setEnabled(true);
    mapping.setEnabled(false);
    const busy = (() => {
      try {
        mapping.setEnabled(true);
      } catch (error) {
        return error;
      }
    })();
    const again = mapping.setEnabled(false);
    await consumers.stopped();

    expect(same.State).toBe('Enabled');
    expect(busy).toBeInstanceOf(MappingBusyError);
    expect(busy).toMatchObject({ code: 'EVENT_SOURCE_MAPPING_BUSY', retryable: true, state: 'Disabling' });
    expect(again.State).toBe('Disabling');
    expect(consumers.starts).toHaveLength(1);
    expect(consumers.stops).toBe(1);
  });

  it('can be disabled while still Enabling, and ignores a late report from the stopped consumer', async () => {
    const consumers = new FakeConsumers();
    const mapping = controller(consumers);
    mapping.start();
    const first = consumers.starts[0];
    first?.observer?.startFailed(new Error('connect ECONNREFUSED 127.0.0.1:9092'));
    const problem = mapping.configuration().LastProcessingResult;

    mapping.setEnabled(false);
    await consumers.stopped();
    first?.observer?.started();

    expect(problem).toBe('PROBLEM: Connection error. connect ECONNREFUSED 127.0.0.1:9092');
    expect(mapping.state).toBe('Disabled');
    expect(mapping.configuration().LastProcessingResult).toBe('No records processed');
  });

  it('counts what the consumer reports, and computes the offset lag from the offsets read', async () => {
    const consumers = new FakeConsumers();
    const mapping = controller(consumers, {
      readOffsets: async () => [{ partition: 0, low: 0, high: 30, committed: 25 }],
    });
    mapping.start();
    const observer = consumers.starts[0]?.observer;

    observer?.polled(5, 1);
    observer?.startFailed(new Error('topic not there yet'));
    observer?.started();
    observer?.committed(4);
    observer?.error('CommitErrorCount');
    observer?.invocation({
      functionKey: 'sinkUsers',
      partitions: ['t-0'],
      partition: 0,
      size: 4,
      firstOffset: 20,
      lastOffset: 24,
      startedAt: 0,
      durationMs: 3,
      result: 'ok',
      failedRecords: 0,
      retries: 0,
      bisections: 0,
      outcome: 'ok',
    });
    const stats = await mapping.localStats();

    expect(stats.metrics).toMatchObject({
      PolledEventCount: 5,
      FilteredOutEventCount: 1,
      InvokedEventCount: 4,
      CommittedEventCount: 4,
      PollingErrorCount: 1,
      CommitErrorCount: 1,
      SumOffsetLag: 5,
      MaxOffsetLag: 5,
    });
    expect(stats.invocations).toHaveLength(1);
    expect(mapping.configuration().LastProcessingResult).toBe('OK');
  });

  it('reports a null offset lag when Kafka cannot be read', async () => {
    const mapping = controller(new FakeConsumers(), {
      readOffsets: async () => {
        throw new Error('broker down');
      },
    });

    const stats = await mapping.localStats();

    expect([stats.metrics.SumOffsetLag, stats.metrics.MaxOffsetLag]).toEqual([null, null]);
  });
});
