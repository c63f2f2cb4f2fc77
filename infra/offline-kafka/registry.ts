/**
 * The schema registry step of an event-source mapping with `schemaRegistryConfig`: each fetched record's
 * VALUE (and KEY, when `schemaValidationConfigs` names it) must be in the Confluent wire format with an id the
 * registry knows and a payload its schema accepts. A record that passes reaches the filters and the function
 * with the payload as AWS delivers it (`JSON`: the decoded value re-serialized; `SOURCE`: the bytes after the
 * 5-byte header) and `valueSchemaMetadata`/`keySchemaMetadata` `{dataFormat, schemaId}`; one that fails is
 * rejected with the reason, for the runner to hand to the on-failure destination or drop.
 *
 * The registry client is `@kafkajs/confluent-schema-registry` itself (offline-kafka may not import
 * functions/): it fetches a schema by id once, caches it, and validates JSON Schema payloads with ajv (with
 * ajv-formats, so `uuid` and `date-time` are checked). A registry that does not answer, or answers 5xx, is no
 * fault of the record: {@link RegistryUnavailableError} is retryable and the runner waits and asks again.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { errorText, PipelineError } from '../../lib/errors.ts';
import type { SchemaMetadata, SourceRecord } from './event.ts';
import type { SchemaRegistryOptions } from './options.ts';

// ajv-formats is CommonJS with `exports.default`; Node binds the default import to `module.exports`.
const addFormats = ('default' in addFormatsModule
  ? addFormatsModule.default
  : addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** The first byte of a value in the wire format, and the header's length (magic byte + 4-byte id). */
const magicByte = 0;
const headerBytes = 5;

/** The registry failed (connection, timeout, 5xx): the record is not at fault and is validated again later. */
export class RegistryUnavailableError extends PipelineError {
  override readonly name: string = 'RegistryUnavailableError';
  constructor(url: string, cause: unknown) {
    super(`schema registry at ${url} did not answer: ${errorText(cause)}`, {
      code: 'SCHEMA_REGISTRY_UNAVAILABLE',
      retryable: true,
      cause,
    });
  }
}

/**
 * The ajv that checks JSON Schema payloads: formats (`uuid`, `date-time`, `email`...) are checked, as a
 * registry-aware deserializer checks them; `strict: false` accepts the keywords registries add (`$id`...).
 */
export function jsonSchemaAjv(): Ajv {
  return addFormats(new Ajv({ strict: false, allErrors: true }));
}

/**
 * Why the registry step refused a record, in AWS's reason codes: an id the registry does not have is
 * `SCHEMA_NOT_FOUND`; a value that cannot be decoded with its schema (not framed, not JSON, refused by the
 * schema) is `DESERIALIZATION_ERROR` (the Lambda guide's "How Lambda performs schema validation").
 */
export type RejectionCode = 'SCHEMA_NOT_FOUND' | 'DESERIALIZATION_ERROR';

/** What validating one record gave: the record as it is delivered, or why it is rejected. */
export type Validated =
  | { ok: true; record: SourceRecord }
  | { ok: false; code: RejectionCode; reason: string };

/** Decodes a wire-format payload with the schema of `id`; the library's `decode` in production. */
export type Decoder = (bytes: Buffer) => Promise<unknown>;

/** The registry step of one mapping. */
export interface RecordValidator {
  /**
   * @throws {@link RegistryUnavailableError} when the registry could not be asked
   */
  validate(record: SourceRecord): Promise<Validated>;
}

/** The registry URL a mapping's `schemaRegistryUri` gives locally, or why it cannot be used. */
export function localRegistryUrl(config: SchemaRegistryOptions): string {
  const uri = config.schemaRegistryUri;
  if (typeof uri !== 'string' || !/^https?:\/\//.test(uri)) {
    throw new PipelineError(
      `schemaRegistryConfig.schemaRegistryUri must be a Confluent-compatible registry's http(s) URL locally (got ${JSON.stringify(uri)}); a Glue registry ARN or a CloudFormation reference cannot be emulated`,
      { code: 'SCHEMA_REGISTRY_URI_UNSUPPORTED', retryable: false },
    );
  }
  return uri;
}

/** The production validator: `@kafkajs/confluent-schema-registry` on `url`, JSON Schema checked with formats. */
export function createRecordValidator(config: SchemaRegistryOptions, url: string): RecordValidator {
  const registry = new SchemaRegistry(
    { host: url, retry: { retries: 0 } },
    { [SchemaType.JSON]: { ajvInstance: jsonSchemaAjv() } },
  );
  return createValidatorWith(config, url, (bytes) => registry.decode(bytes));
}

/**
 * The validator over any decoder (tests give it the real library on a real registry, or on a server that
 * fails). Pure apart from `decode`.
 */
export function createValidatorWith(
  config: SchemaRegistryOptions,
  url: string,
  decode: Decoder,
): RecordValidator {
  const attributes = new Set(
    (config.schemaValidationConfigs ?? [{ attribute: 'VALUE' }]).map((c) => c.attribute),
  );
  const format = config.eventRecordFormat ?? 'JSON';
  const check = async (
    name: 'key' | 'value',
    bytes: Buffer | null,
  ): Promise<
    | { ok: true; bytes: Buffer | null; metadata?: SchemaMetadata }
    | { ok: false; code: RejectionCode; reason: string }
  > => {
    // A tombstone (no value) or a record without a key has nothing to validate.
    if (bytes === null) return { ok: true, bytes };
    if (bytes.length < headerBytes || bytes[0] !== magicByte) {
      // No id to look up: AWS cannot deserialize it either.
      return {
        ok: false,
        code: 'DESERIALIZATION_ERROR',
        reason: `${name} is not in the wire format (magic byte 0 and a 4-byte schema id)`,
      };
    }
    const schemaId = bytes.readInt32BE(1);
    let decoded: unknown;
    try {
      decoded = await decode(bytes);
    } catch (error) {
      // The library's client reports a refused connection as status 400 too (mappersmith's gateway), so only
      // a 404 (the registry has no such id) and the schema's own verdicts are the record's fault; anything
      // else means the registry could not be asked.
      if ((error as { status?: unknown }).status === 404) {
        return {
          ok: false,
          code: 'SCHEMA_NOT_FOUND',
          reason: `${name} schema id ${schemaId} is unknown to the registry`,
        };
      }
      const paths = (error as { paths?: unknown }).paths;
      if (
        error instanceof SyntaxError ||
        (error instanceof Error && error.name === 'ConfluentSchemaRegistryValidationError')
      ) {
        const where = Array.isArray(paths) && paths.length > 0 ? ` at ${paths.map(String).join(', ')}` : '';
        return {
          ok: false,
          code: 'DESERIALIZATION_ERROR',
          reason: `${name} fails schema ${schemaId}${where}: ${errorText(error)}`,
        };
      }
      throw new RegistryUnavailableError(url, error);
    }
    const delivered =
      format === 'SOURCE' ? bytes.subarray(headerBytes) : Buffer.from(JSON.stringify(decoded));
    return { ok: true, bytes: delivered, metadata: { dataFormat: 'JSON', schemaId: String(schemaId) } };
  };
  return {
    async validate(record) {
      let out: SourceRecord = record;
      for (const name of ['key', 'value'] as const) {
        if (!attributes.has(name === 'key' ? 'KEY' : 'VALUE')) continue;
        const result = await check(name, record[name]);
        if (!result.ok) return result;
        out = {
          ...out,
          [name]: result.bytes,
          ...(result.metadata ? { [`${name}SchemaMetadata`]: result.metadata } : {}),
        };
      }
      return { ok: true, record: out };
    },
  };
}
