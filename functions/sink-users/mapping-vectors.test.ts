import { describe, expect, it } from 'vitest';
import { kafkaEvent, kafkaRecord } from '../../test/helpers/kafka-records.ts';
import { mappingVectors } from '../../test/helpers/mapping-vectors.ts';
import { eventRecords, parseKafkaEvent } from '../lib/kafka-event.ts';
import { planSink } from './core.ts';

const vectors = mappingVectors();

/** What sink-users makes of one record value: its row (dates as ISO text) or its rejection code. */
function sinkOutcome(bytes: Buffer) {
  const event = parseKafkaEvent(kafkaEvent([kafkaRecord({ offset: 0, value: bytes })]));
  const plan = planSink(eventRecords(event));
  const planned = plan.rows[0]?.row;
  if (planned === undefined) return { rejected: plan.rejected[0]?.error.code };
  return {
    row: {
      ...planned,
      dob: planned.dob.toISOString(),
      registered_date: planned.registered_date.toISOString(),
    },
  };
}

describe('the shared mapping vectors (test/fixtures/mapping-vectors.json) through the TypeScript sink', () => {
  it('cover accepted and rejected records, each accepted one with its own id', () => {
    const rows = vectors.flatMap((v) => ('row' in v.expect ? [v.expect.row.id] : []));
    const codes = new Set(vectors.flatMap((v) => ('rejected' in v.expect ? [v.expect.rejected] : [])));

    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(new Set(rows).size).toBe(rows.length);
    expect([...codes].sort()).toEqual([
      'VALUE_FRAMING_INVALID',
      'VALUE_INVALID',
      'VALUE_MISSING',
      'VALUE_NOT_JSON',
      'VALUE_NOT_UTF8',
    ]);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const outcome = sinkOutcome(v.bytes);

    expect(outcome).toEqual(v.expect);
  });
});
