// The contract between two rooms: the event the local event source builds (infra/offline-kafka/event.ts)
// is one that sink-users accepts (functions/lib/kafka-event.ts). It lives here, outside both, so that
// infra/offline-kafka imports nothing from functions/.
import { describe, expect, it } from 'vitest';
import { parseKafkaEvent } from '../../functions/lib/kafka-event.ts';
import { buildEvent, type KafkaEvent } from '../../infra/offline-kafka/event.ts';
import { sourceRecord } from '../helpers/source-records.ts';

const selfManaged = { eventSource: 'SelfManagedKafka', bootstrapServers: 'a:9092,b:9092' } as const;
const mskArn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/pipeline/abcd1234-abcd-cafe-abab-9876543210ab-4';
const msk = { eventSource: 'aws:kafka', eventSourceArn: mskArn, bootstrapServers: 'a:9092' } as const;

/** What the function receives: the event after a trip through JSON, as the Invoke API carries it. */
function overTheWire(event: KafkaEvent): unknown {
  return JSON.parse(JSON.stringify(event));
}

describe('the local event source’s events, read by sink-users', () => {
  it('parse with the project’s own Kafka event schema, tombstones and binary headers included', () => {
    const records = [
      sourceRecord({ offset: 1, headers: [['bin', Buffer.from([255, 0])]] }),
      sourceRecord({ offset: 2, key: null, value: null }),
      sourceRecord({ partition: 4, offset: 9 }),
    ];

    const selfManagedEvent = parseKafkaEvent(overTheWire(buildEvent(selfManaged, records)));
    const mskEvent = parseKafkaEvent(overTheWire(buildEvent(msk, records)));

    expect(selfManagedEvent.eventSource).toBe('SelfManagedKafka');
    expect(selfManagedEvent.records['users_created-0']?.[0]?.headers).toEqual([{ bin: [255, 0] }]);
    expect(selfManagedEvent.records['users_created-0']?.[1]?.value).toBeUndefined();
    expect(Object.keys(selfManagedEvent.records)).toEqual(['users_created-0', 'users_created-4']);
    expect(mskEvent).toMatchObject({ eventSource: 'aws:kafka', eventSourceArn: mskArn });
  });
});
