/**
 * The generated tables of the docs, from the schemas they describe, as the JSON Schemas are generated from the
 * event schemas: the functions' settings (functions/lib/settings.ts) in functions/README.md, the local
 * stack's and `npm start`'s (infra/local/config.ts) in infra/local/README.md, and the bounds of a user
 * (`userLimits`, functions/lib/schemas.ts) beside the real generator's data in docs/design.md. Each table sits
 * between two marker comments, so the prose around it stays hand-written; `npm run schemas` rewrites it and a
 * unit test fails when a document and its schema disagree.
 */
import { userLimits } from '../../functions/lib/schemas.ts';
import { type SettingRow, settingRows } from '../../functions/lib/settings.ts';
import { PipelineError } from '../../lib/errors.ts';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { stackSettingRows } from '../local/config.ts';

/** A generated table: the file it lives in and the markers around it. */
export interface GeneratedTable {
  /** The file, relative to the repository's root. */
  file: string;
  /** The name in the markers `<!-- name:start -->` and `<!-- name:end -->`. */
  marker: string;
  /** The table's Markdown, with a trailing newline. */
  markdown: string;
}

/** A README lacks the markers of its generated table, or has them in the wrong order. */
export class TableMarkersError extends PipelineError {
  constructor(file: string, marker: string) {
    super(`${file} needs the lines <!-- ${marker}:start --> and <!-- ${marker}:end -->, in that order`, {
      code: 'TABLE_MARKERS_MISSING',
      retryable: false,
    });
  }
}

/** Escapes what would end a table cell. */
const cell = (text: string) => text.replaceAll('|', '\\|');

const code = (text: string) => `\`${text}\``;

/** A default as a table cell: the value in code, or `unset`. */
const defaultCell = (value: string | undefined) =>
  value === undefined || value === '' ? 'unset' : code(value);

/** A Markdown table of `header` and `rows`, each cell escaped. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return `${[line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')}\n`;
}

/** The functions' settings table: name, default, meaning, the functions that read it, and its local value. */
export function functionSettingsTable(rows: readonly SettingRow[] = settingRows()): GeneratedTable {
  const markdown = table(
    ['Setting', 'Default', 'Meaning', 'Read by', 'Local stage'],
    rows.map((row) => [
      code(row.name),
      defaultCell(row.defaultValue),
      row.meaning,
      row.readBy === 'all' ? 'all' : row.readBy.join(', '),
      row.local ?? 'as set',
    ]),
  );
  return { file: 'functions/README.md', marker: 'settings', markdown };
}

/** The local stack's and `npm start`'s settings: name, default, meaning. */
export function stackSettingsTable(): GeneratedTable {
  const markdown = table(
    ['Setting', 'Default', 'Meaning'],
    stackSettingRows().map((row) => [code(row.name), defaultCell(row.defaultValue), row.meaning]),
  );
  return { file: 'infra/local/README.md', marker: 'stack-settings', markdown };
}

/** The value at a dotted `path` of a raw user, when there is one. */
function valueAt(user: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (typeof node === 'object' && node !== null ? Reflect.get(node, key) : undefined),
      user,
    );
}

const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });

/**
 * The bounds of a user, one row per bound, beside what the real generator sends: the longest text, in code
 * points as the limit counts it, and the range of the numbers (the coordinates are numbers sent as text).
 *
 * @param users - raw randomuser records; by default the real generator's 100 fixture users
 */
export function userLimitsTable(users: readonly unknown[] = fixtureUsers()): GeneratedTable {
  const seen = (field: string) => users.map((user) => valueAt(user, field));
  const texts = Object.entries(userLimits.text).map(([field, max]) => {
    const lengths = seen(field).flatMap((v) => (typeof v === 'string' ? [[...v].length] : []));
    return [code(field), `at most ${count(max)} characters`, `${count(Math.max(...lengths))} characters`];
  });
  const ranges = Object.entries(userLimits.range).map(([field, { min, max }]) => {
    // A postcode may be text too, which the text row covers; coordinates are only ever numbers sent as text.
    const asText = field.startsWith('location.coordinates.');
    const values = seen(field).flatMap((v) =>
      typeof v === 'number' ? [v] : asText && typeof v === 'string' ? [Number(v)] : [],
    );
    const finite = values.filter((v) => Number.isFinite(v));
    return [
      code(field),
      `${count(min)} to ${count(max)}`,
      `${count(Math.min(...finite))} to ${count(Math.max(...finite))}`,
    ];
  });
  const markdown = table(
    ['Field', 'Bound', `In the real generator's ${users.length} users`],
    [...texts, ...ranges],
  );
  return { file: 'docs/design.md', marker: 'user-limits', markdown };
}

/** Every generated table. */
export function generatedTables(): GeneratedTable[] {
  return [functionSettingsTable(), stackSettingsTable(), userLimitsTable()];
}

/**
 * Puts a table between its markers in a README's text.
 *
 * @throws {@link TableMarkersError} when the markers are missing or out of order
 */
export function spliceTable(text: string, table: GeneratedTable): string {
  const start = `<!-- ${table.marker}:start -->\n`;
  const end = `<!-- ${table.marker}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new TableMarkersError(table.file, table.marker);
  return `${text.slice(0, from + start.length)}${table.markdown}${text.slice(to)}`;
}
