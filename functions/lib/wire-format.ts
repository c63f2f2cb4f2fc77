/**
 * The Confluent wire format of a record value: the magic byte 0, the schema's registry id as a 4-byte
 * big-endian integer, then the serialized value (here the JSON text). publish-users frames its values so when
 * a Schema Registry is configured; sink-users and the console read every form a value may take.
 *
 * Pure: bytes in, bytes or a verdict out; the registry calls that resolve an id are in schema-ids.ts. The
 * framing itself is `@kafkajs/confluent-schema-registry`'s encoder and decoder (the same code its
 * `SchemaRegistry.encode` and `decode` run); only the checks its decoder leaves out (a value too short for
 * the header, a magic byte other than 0) are made here, since the library's decoder reads any buffer.
 */
import decoderModule from '@kafkajs/confluent-schema-registry/dist/wireDecoder.js';
import { encode } from '@kafkajs/confluent-schema-registry/dist/wireEncoder.js';

/** The first byte of a value in the wire format. */
export const magicByte = 0;
/** The magic byte and the 4-byte schema id before the payload. */
export const wireHeaderBytes = 5;

// Node binds the default import of a CommonJS module to its `module.exports` (here `{ default: decoder }`);
// Vite, and so vitest, binds it to `exports.default` as the module's `__esModule` flag asks.
const decodeWire = typeof decoderModule === 'function' ? decoderModule : decoderModule.default;

/**
 * A value in the wire format: `payload` (the JSON text) behind the magic byte and `schemaId`.
 *
 * @throws RangeError for an id that is not a positive 32-bit integer (a registry's ids are)
 */
export function frameValue(schemaId: number, payload: string | Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 1 || schemaId > 0x7fffffff) {
    throw new RangeError(`a schema id is a positive 32-bit integer, got ${schemaId}`);
  }
  return encode(schemaId, typeof payload === 'string' ? Buffer.from(payload) : payload);
}

/** What a value's bytes are, read without a registry. */
export type WireValue =
  /** Plain JSON, as without a registry: the bytes are the payload. */
  | { format: 'plain'; payload: Buffer }
  /** The wire format: the id (not yet checked against a registry) and the payload behind the header. */
  | { format: 'confluent'; schemaId: number; payload: Buffer }
  /** Starts with the magic byte, so it is no JSON text, but the header is cut short. */
  | { format: 'broken'; problem: string };

/**
 * Reads a value's framing. A value that starts with byte 0 is in the wire format (a JSON text never starts
 * with a NUL byte, so the two cannot be mistaken); anything else is taken as plain JSON, for the JSON parser
 * to judge.
 */
export function readValue(bytes: Buffer): WireValue {
  if (bytes.length === 0 || bytes[0] !== magicByte) return { format: 'plain', payload: bytes };
  if (bytes.length < wireHeaderBytes) {
    return {
      format: 'broken',
      problem: `starts with the wire format's magic byte 0 but has ${bytes.length} bytes, fewer than its ${wireHeaderBytes}-byte header`,
    };
  }
  const { registryId, payload } = decodeWire(bytes);
  return { format: 'confluent', schemaId: registryId, payload };
}
