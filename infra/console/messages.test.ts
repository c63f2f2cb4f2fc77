import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { frameValue } from '../../functions/lib/wire-format.ts';
import { messageView, withSchemaVersions } from './messages.ts';

/** A message as kafkajs hands it over. */
function message(offset: number, value: Buffer | null): KafkaMessage {
  return {
    key: Buffer.from(`k${offset}`),
    value,
    timestamp: '1767225600000',
    attributes: 0,
    offset: String(offset),
    headers: {},
  };
}

const json = '{"id":"u1","type":"UserCreated"}';

describe('messageView', () => {
  it('decodes a wire-format value behind its header and keeps the schema id, version unknown', () => {
    const view = messageView('t', 0, message(1, frameValue(9, json)));

    expect(view.schema).toEqual({ id: 9, version: null });
    expect(view.value).toEqual({ kind: 'json', json: { id: 'u1', type: 'UserCreated' } });
    expect(view.size).toBe(2 + 5 + json.length);
  });

  it('shows plain JSON as before, with no schema', () => {
    const view = messageView('t', 0, message(1, Buffer.from(json)));

    expect(view.schema).toBeNull();
    expect(view.value.kind).toBe('json');
  });

  it('shows a value whose header is cut short as it is, with no schema', () => {
    const view = messageView('t', 0, message(1, Buffer.from([0, 0])));

    expect(view.schema).toBeNull();
    expect(view.value).toEqual({ kind: 'text', text: '\u0000\u0000' });
  });
});

describe('withSchemaVersions', () => {
  const views = [
    messageView('t', 0, message(1, frameValue(9, json))),
    messageView('t', 0, message(2, frameValue(9, json))),
    messageView('t', 0, message(3, frameValue(10, json))),
    messageView('t', 0, message(4, Buffer.from(json))),
  ];

  it('asks once per id and fills in each version, unknown ids left null', async () => {
    const asked: number[] = [];

    const { views: filled, registryError } = await withSchemaVersions(views, async (id) => {
      asked.push(id);
      return id === 9 ? 2 : undefined;
    });

    expect(asked).toEqual([9, 10]);
    expect(filled.map((v) => v.schema)).toEqual([
      { id: 9, version: 2 },
      { id: 9, version: 2 },
      { id: 10, version: null },
      null,
    ]);
    expect(registryError).toBeNull();
  });

  it('keeps the page when the registry fails, and says why', async () => {
    const { views: filled, registryError } = await withSchemaVersions(views, async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8081');
    });

    expect(filled.map((v) => v.schema?.version ?? null)).toEqual([null, null, null, null]);
    expect(registryError).toContain('ECONNREFUSED');
  });
});
