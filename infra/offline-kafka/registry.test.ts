import { kafkaConsumer, SchemaType } from '@aws-lambda-powertools/kafka';
import JsonSchemaModule from '@kafkajs/confluent-schema-registry/dist/JsonSchema.js';
import { encode } from '@kafkajs/confluent-schema-registry/dist/wireEncoder.js';
import type { Context, MSKEvent, MSKRecord } from 'aws-lambda';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { sourceRecord } from '../../test/helpers/source-records.ts';
import { closedPort } from '../../test/helpers/stack.ts';
import { buildEvent, type EventRecord, type SchemaMetadata, type SourceRecord } from './event.ts';
import { matchesAny } from './filter.ts';
import {
  createRecordValidator,
  createValidatorWith,
  type Decoder,
  jsonSchemaAjv,
  localRegistryUrl,
  RegistryUnavailableError,
  type Validated,
} from './registry.ts';

// Vite binds a CommonJS default import to `exports.default`, Node to `module.exports`.
const JsonSchema = ('default' in JsonSchemaModule
  ? JsonSchemaModule.default
  : JsonSchemaModule) as unknown as new (
  schema: { schema: string },
  opts: { ajvInstance: unknown },
) => { fromBuffer(buffer: Buffer): unknown };

const schemaId = 42;
const userSchema = new JsonSchema(
  {
    schema: JSON.stringify({
      type: 'object',
      properties: { id: { type: 'string', format: 'uuid' }, kind: { type: 'string' } },
      required: ['id', 'kind'],
    }),
  },
  { ajvInstance: jsonSchemaAjv() },
);

/**
 * The library's own JSON Schema decoding (ajv with formats) for the one id this registry holds; any other id
 * is refused as the library refuses an id the registry answers 404 for.
 */
const decode: Decoder = async (bytes) => {
  const id = bytes.readInt32BE(1);
  if (id !== schemaId) throw Object.assign(new Error(`Schema ${id} not found`), { status: 404 });
  return userSchema.fromBuffer(bytes.subarray(5));
};

const url = 'http://127.0.0.1:8081/apis/ccompat/v7';
const value = { id: '0b7a3f1e-2d4c-4e8a-9f6b-1c2d3e4f5a6b', kind: 'keep' };
// Spacing the decoded form would not have, so JSON (re-serialized) and SOURCE (the bytes) differ.
const sourceText = '{ "id": "0b7a3f1e-2d4c-4e8a-9f6b-1c2d3e4f5a6b",  "kind": "keep" }';
const framed = (text: string, id = schemaId) => encode(id, Buffer.from(text));

function accepted(result: Validated): SourceRecord {
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.record;
}

function rejected(result: Validated): string {
  if (result.ok) throw new Error('accepted');
  return result.reason;
}

describe('the schema registry step', () => {
  it('delivers a valid value decoded and re-serialized (JSON, the default), with its schema metadata', async () => {
    const validator = createValidatorWith({ schemaRegistryUri: url }, url, decode);

    const record = accepted(await validator.validate(sourceRecord({ value: framed(sourceText) })));

    expect(record.value?.toString()).toBe(JSON.stringify(value));
    expect(record.valueSchemaMetadata).toEqual({ dataFormat: 'JSON', schemaId: '42' });
    expect(record.key?.toString()).toBe('user-0');
    expect(record).not.toHaveProperty('keySchemaMetadata');
  });

  it('delivers the source bytes without the 5-byte header (SOURCE)', async () => {
    const validator = createValidatorWith(
      { schemaRegistryUri: url, eventRecordFormat: 'SOURCE' },
      url,
      decode,
    );

    const record = accepted(await validator.validate(sourceRecord({ value: framed(sourceText) })));

    expect(record.value?.toString()).toBe(sourceText);
    expect(record.valueSchemaMetadata).toEqual({ dataFormat: 'JSON', schemaId: '42' });
  });

  it('rejects a value not in the wire format, an unknown id, and a payload the schema refuses, naming why', async () => {
    const validator = createValidatorWith({ schemaRegistryUri: url }, url, decode);
    const reason = async (bytes: Buffer) =>
      rejected(await validator.validate(sourceRecord({ value: bytes })));

    expect(await reason(Buffer.from(JSON.stringify(value)))).toBe(
      'value is not in the wire format (magic byte 0 and a 4-byte schema id)',
    );
    expect(await reason(Buffer.from([0, 0, 0]))).toMatch(/not in the wire format/);
    expect(await reason(framed(sourceText, 7))).toBe('value schema id 7 is unknown to the registry');
    expect(await reason(framed(JSON.stringify({ ...value, id: 'not-a-uuid' })))).toMatch(
      /^value fails schema 42 at .*id.*: invalid payload/,
    );
    expect(await reason(framed('{"id":'))).toMatch(/^value fails schema 42: /);
  });

  it('validates the key only when schemaValidationConfigs names KEY, and a tombstone passes', async () => {
    const both = createValidatorWith(
      { schemaRegistryUri: url, schemaValidationConfigs: [{ attribute: 'KEY' }, { attribute: 'VALUE' }] },
      url,
      decode,
    );
    const keyOnly = createValidatorWith(
      { schemaRegistryUri: url, schemaValidationConfigs: [{ attribute: 'KEY' }] },
      url,
      decode,
    );

    expect(rejected(await both.validate(sourceRecord({ value: framed(sourceText) })))).toMatch(/^key is not/);
    const record = accepted(
      await keyOnly.validate(sourceRecord({ key: framed(sourceText), value: Buffer.from('plain') })),
    );
    expect(record.keySchemaMetadata).toEqual({ dataFormat: 'JSON', schemaId: '42' });
    expect(record.value?.toString()).toBe('plain');
    expect(record).not.toHaveProperty('valueSchemaMetadata');
    expect(
      accepted(await both.validate(sourceRecord({ key: framed(sourceText), value: null }))).value,
    ).toBeNull();
  });

  it('throws a retryable RegistryUnavailableError when the registry does not answer', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    const validator = createRecordValidator({ schemaRegistryUri: down }, down);

    const error = await validator
      .validate(sourceRecord({ value: framed(sourceText) }))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(error).toMatchObject({ code: 'SCHEMA_REGISTRY_UNAVAILABLE', retryable: true });
  });

  it('refuses a URI it cannot reach locally (a Glue ARN, CloudFormation), naming the setting', () => {
    expect(() => localRegistryUrl({ schemaRegistryUri: 'arn:aws:glue:eu-west-1:1:registry/r' })).toThrow(
      /schemaRegistryConfig.schemaRegistryUri must be a Confluent-compatible registry's http\(s\) URL/,
    );
    expect(() => localRegistryUrl({ schemaRegistryUri: { Ref: 'Registry' } })).toThrow(
      /SCHEMA_REGISTRY|schemaRegistryUri/,
    );
    expect(localRegistryUrl({ schemaRegistryUri: url })).toBe(url);
  });

  it('lets filters see the decoded value, which they could not in the wire format', async () => {
    const validator = createValidatorWith(
      { schemaRegistryUri: url, eventRecordFormat: 'SOURCE' },
      url,
      decode,
    );
    const raw = sourceRecord({ value: framed(sourceText) });
    const patterns = [{ value: { kind: ['keep'] } }];

    expect(matchesAny(patterns, raw)).toBe(false);
    expect(matchesAny(patterns, accepted(await validator.validate(raw)))).toBe(true);
  });
});

describe('the event of validated records', () => {
  const msk = {
    eventSource: 'aws:kafka' as const,
    eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/1',
    bootstrapServers: 'a:9092',
  };

  async function validatedEvent(format: 'JSON' | 'SOURCE') {
    const validator = createValidatorWith({ schemaRegistryUri: url, eventRecordFormat: format }, url, decode);
    const records = [
      accepted(await validator.validate(sourceRecord({ offset: 1, value: framed(sourceText) }))),
      accepted(await validator.validate(sourceRecord({ offset: 2, value: framed(sourceText) }))),
    ];
    // Over the wire, as the function receives it.
    return JSON.parse(JSON.stringify(buildEvent(msk, records)));
  }

  it('carries valueSchemaMetadata on each record and is an @types/aws-lambda MSKEvent', async () => {
    const event: MSKEvent = await validatedEvent('JSON');
    type Validated = EventRecord & { key: string; value: string };
    expectTypeOf<Validated>().toExtend<MSKRecord>();
    expectTypeOf<Validated>()
      .toHaveProperty('valueSchemaMetadata')
      .toEqualTypeOf<SchemaMetadata | undefined>();
    const [first] = event.records['users_created-0'] ?? [];

    expect(first).toMatchObject({
      offset: 1,
      value: Buffer.from(JSON.stringify(value)).toString('base64'),
      valueSchemaMetadata: { dataFormat: 'JSON', schemaId: '42' },
    });
    expect(first).not.toHaveProperty('keySchemaMetadata');
  });

  it('is decoded by the Powertools Kafka consumer with its JSON schema type, in both formats', async () => {
    for (const format of ['JSON', 'SOURCE'] as const) {
      const seen: unknown[] = [];
      const handler = kafkaConsumer<string, typeof value>(
        async (event) => {
          for (const record of event.records) seen.push([record.value, record.valueSchemaMetadata]);
        },
        { value: { type: SchemaType.JSON } },
      );

      await handler(await validatedEvent(format), {} as Context);

      expect(seen, format).toEqual([
        [value, { dataFormat: 'JSON', schemaId: '42' }],
        [value, { dataFormat: 'JSON', schemaId: '42' }],
      ]);
    }
  });
});
