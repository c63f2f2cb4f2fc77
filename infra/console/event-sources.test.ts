import { describe, expect, it } from 'vitest';
import { localStatsSchema, mappingView, viewState } from './event-sources.ts';

describe('mappingView', () => {
  it('reads a self-managed Kafka mapping as the page shows it', () => {
    const view = mappingView({
      UUID: 'u-1',
      FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:realtime-user-pipeline-local-sink-users',
      Topics: ['users_created'],
      State: 'Enabled',
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'g' },
    });

    expect(view).toEqual({
      uuid: 'u-1',
      functionName: 'realtime-user-pipeline-local-sink-users',
      topic: 'users_created',
      groupId: 'g',
      state: 'Enabled',
    });
  });

  it('takes the group of an MSK mapping', () => {
    expect(mappingView({ AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'm' } }).groupId).toBe('m');
  });
});

describe('viewState', () => {
  it.each([
    ['Enabled', 'Enabled'],
    ['Disabling', 'Disabling'],
    ['Updating', 'Enabling'],
    ['Creating', 'Enabling'],
    ['Deleting', 'Disabling'],
  ])('shows %s as %s', (aws, shown) => {
    expect(viewState(aws)).toBe(shown);
  });
});

describe('localStatsSchema', () => {
  it('takes the local route’s answer and drops what the page does not show', () => {
    const parsed = localStatsSchema.parse({
      metricsConfig: ['EventCount', 'KafkaMetrics'],
      metrics: {
        PolledEventCount: 10,
        InvokedEventCount: 10,
        FilteredOutEventCount: 0,
        FailedInvokeEventCount: 1,
        DroppedEventCount: 0,
        OnFailureDestinationDeliveredEventCount: 0,
        CommittedEventCount: 10,
        SumOffsetLag: null,
        MaxOffsetLag: null,
        NotAnAwsMetric: 3,
      },
      invocations: [
        {
          at: '2026-01-01T00:00:00.000Z',
          partition: 0,
          records: 10,
          firstOffset: '0',
          lastOffset: '9',
          durationMs: 12,
          outcome: 'ok',
          retries: 0,
          bisections: 0,
          detail: 'ok',
        },
      ],
    });

    expect(parsed.metricsConfig).toEqual(['EventCount', 'KafkaMetrics']);
    expect(parsed.metrics).toMatchObject({ DroppedEventCount: 0, SumOffsetLag: null });
    expect(parsed.metrics).not.toHaveProperty('NotAnAwsMetric');
    expect(parsed.invocations[0]).not.toHaveProperty('detail');
  });

  it('refuses a metric group AWS does not have', () => {
    expect(
      localStatsSchema.safeParse({ metricsConfig: ['OffsetLag'], metrics: {}, invocations: [] }).success,
    ).toBe(false);
  });
});
