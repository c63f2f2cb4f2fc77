import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { userLimits, userSchema } from '../../functions/lib/schemas.ts';
import { userCreated } from '../../functions/lib/users-created.ts';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { renderSchemas, schemasDir } from './generate.ts';
import {
  functionSettingsTable,
  generatedTables,
  spliceTable,
  TableMarkersError,
  userLimitsTable,
} from './settings-table.ts';

// Ajv's default class is draft-07, the draft the files declare (functions/lib/published-schemas.ts).
const ajv = new Ajv({ strict: true, validateFormats: false, allErrors: true });

/** The published `users_created` value schema, compiled once (Ajv refuses a second schema with its `$id`). */
function valueValidator() {
  const schema = JSON.parse(readFileSync(join(schemasDir, 'users-created.value.v1.json'), 'utf8'));
  return ajv.getSchema(schema.$id) ?? ajv.compile(schema);
}

describe('events/schemas', () => {
  it.each(renderSchemas().map((s) => [s.file, s.text]))(
    '%s matches the zod schema (run `npm run schemas`)',
    (file, text) => {
      expect(readFileSync(join(schemasDir, file), 'utf8')).toBe(text);
    },
  );

  it('accepts the Kafka value of every fixture user, and rejects a broken one', () => {
    const validate = valueValidator();
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

  it('publishes the bounds of a user: the value of a 200,000-character first name is refused', () => {
    const validate = valueValidator();
    const user = userSchema.parse(fixtureUsers()[0]);
    const value = (first: string) =>
      JSON.parse(
        JSON.stringify(
          userCreated(
            { ...user, name: { ...user.name, first } },
            { batchId: 'seed:1', fetchedAt: '2026-11-24T10:00:00.000Z' },
          ),
        ),
      );

    expect(validate(value('A'.repeat(userLimits.text['name.first'])))).toBe(true);
    expect(validate(value('A'.repeat(200_000)))).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({
      instancePath: '/user/name/first',
      keyword: 'maxLength',
      params: { limit: userLimits.text['name.first'] },
    });
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

    expect(rows).toHaveLength(38);
    expect(rows).toContain(
      '| `FETCH_PAGE_SIZE` | `5000` | users per request (randomuser serves at most 5000) | fetch-users | as set |',
    );
    expect(rows.find((row) => row.startsWith('| `PGUSER` |'))).toMatch(/^\| `PGUSER` \| unset \|/);
  });

  it("lists every bound of a user beside the real generator's data", () => {
    const { file, markdown } = userLimitsTable();
    const rows = markdown.trim().split('\n').slice(2);

    expect(file).toBe('docs/design.md');
    expect(rows).toHaveLength(Object.keys(userLimits.text).length + Object.keys(userLimits.range).length);
    expect(rows).toContain('| `name.first` | at most 256 characters | 12 characters |');
    expect(rows).toContain('| `location.coordinates.latitude` | -90 to 90 | -89.516 to 88.0107 |');
  });

  it('replaces only what is between the markers, and refuses a file without them', () => {
    const table = { file: 'x.md', marker: 'settings', markdown: '| new |\n' };

    expect(spliceTable('a\n<!-- settings:start -->\n| old |\n<!-- settings:end -->\nb\n', table)).toBe(
      'a\n<!-- settings:start -->\n| new |\n<!-- settings:end -->\nb\n',
    );
    expect(() => spliceTable('no markers\n', table)).toThrow(TableMarkersError);
  });
});
