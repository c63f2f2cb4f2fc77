/**
 * The shared mapping vectors (test/fixtures/mapping-vectors.json): Kafka record values and the
 * `created_users` row, or the rejection, that each must give. The TypeScript sink, the Spark job's mapping
 * (`mvn test` in infra/spark) and the running Spark job in parity mode are all held to them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { CreatedUserRow } from '../../functions/lib/users-created.ts';

export const vectorsFile = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'mapping-vectors.json',
);

// Every column of the contract's row, and no other: the compiler holds the vectors to CreatedUserRow.
const rowShape = {
  id: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  gender: z.string(),
  address: z.string(),
  post_code: z.string(),
  email: z.string(),
  username: z.string(),
  dob: z.iso.datetime(),
  registered_date: z.iso.datetime(),
  phone: z.string(),
  picture: z.string(),
  nationality: z.string(),
} satisfies Record<keyof CreatedUserRow, z.ZodType>;
const row = z.object(rowShape);
/** An expected row; dates are ISO instants. */
export type VectorRow = z.infer<typeof row>;

const vector = z
  .object({
    name: z.string(),
    value: z.unknown().optional(),
    valueText: z.string().optional(),
    valueBase64: z.base64().optional(),
    expect: z.union([z.object({ row }), z.object({ rejected: z.string() })]),
  })
  .transform((v) => ({
    name: v.name,
    // Exactly one spelling of the value: these bytes, these characters, or this JSON serialized.
    bytes:
      v.valueBase64 !== undefined
        ? Buffer.from(v.valueBase64, 'base64')
        : Buffer.from(v.valueText ?? JSON.stringify(v.value), 'utf8'),
    expect: v.expect,
  }));
export type MappingVector = z.output<typeof vector>;

/** Every vector of the file, validated. */
export function mappingVectors(): MappingVector[] {
  return z.object({ vectors: z.array(vector).min(1) }).parse(JSON.parse(readFileSync(vectorsFile, 'utf8')))
    .vectors;
}
