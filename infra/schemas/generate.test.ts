import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { userSchema } from '../../functions/lib/schemas.ts';
import { userCreated } from '../../functions/lib/users-created.ts';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { renderSchemas, schemasDir } from './generate.ts';

const ajv = new Ajv2020({ strict: true, validateFormats: false, allErrors: true });

describe('events/schemas', () => {
  it.each(renderSchemas().map((s) => [s.file, s.text]))(
    '%s matches the zod schema (run `npm run schemas`)',
    (file, text) => {
      expect(readFileSync(join(schemasDir, file), 'utf8')).toBe(text);
    },
  );

  it('accepts the Kafka value of every fixture user, and rejects a broken one', () => {
    const validate = ajv.compile(
      JSON.parse(readFileSync(join(schemasDir, 'users-created.value.v1.json'), 'utf8')),
    );
    const messages = fixtureUsers().map((raw) =>
      JSON.parse(
        JSON.stringify(
          userCreated(userSchema.parse(raw), { batchId: 'seed:1', fetchedAt: '2026-11-24T10:00:00.000Z' }),
        ),
      ),
    );

    for (const message of messages) expect(validate(message), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ ...messages[0], id: 'not-a-uuid' })).toBe(false);
    expect(validate({ ...messages[0], schemaVersion: 2 })).toBe(false);
  });
});
