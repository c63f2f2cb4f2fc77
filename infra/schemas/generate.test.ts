import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { userSchema } from '../../functions/lib/schemas.ts';
import { userCreated } from '../../functions/lib/users-created.ts';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { renderSchemas, schemasDir } from './generate.ts';
import { functionSettingsTable, generatedTables, spliceTable, TableMarkersError } from './settings-table.ts';

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

describe('the generated settings tables', () => {
  it.each(generatedTables().map((t) => [t.file, t]))(
    '%s holds its table (run `npm run schemas`)',
    (file, table) => {
      const text = readFileSync(join(schemasDir, '..', '..', file), 'utf8');

      expect(spliceTable(text, table)).toBe(text);
    },
  );

  it('lists every function setting once, with its default', () => {
    const { markdown } = functionSettingsTable();
    const rows = markdown.trim().split('\n').slice(2);

    expect(rows).toHaveLength(37);
    expect(rows).toContain(
      '| `FETCH_PAGE_SIZE` | `5000` | users per request (randomuser serves at most 5000) | fetch-users | as set |',
    );
    expect(rows.find((row) => row.startsWith('| `PGUSER` |'))).toMatch(/^\| `PGUSER` \| unset \|/);
  });

  it('replaces only what is between the markers, and refuses a file without them', () => {
    const table = { file: 'x.md', marker: 'settings', markdown: '| new |\n' };

    expect(spliceTable('a\n<!-- settings:start -->\n| old |\n<!-- settings:end -->\nb\n', table)).toBe(
      'a\n<!-- settings:start -->\n| new |\n<!-- settings:end -->\nb\n',
    );
    expect(() => spliceTable('no markers\n', table)).toThrow(TableMarkersError);
  });
});
