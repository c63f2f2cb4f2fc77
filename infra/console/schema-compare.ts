/**
 * The Schemas view's pure part: a schema's text formatted for reading, and the comparison of two versions,
 * field by field (infra/schemas/diff.ts, the names the migrations' messages use) and line by line (the
 * `diff` package's unified-diff hunks over the formatted texts). Text in, JSON out; no registry here.
 */
import { structuredPatch } from 'diff';
import { describeDifferences, schemaDifferences } from '../schemas/diff.ts';
import type { SchemaComparison, SchemaDiffLine, SchemaVersionView } from './api.ts';

/** Lines of context kept around each change, as `diff -u` keeps. */
export const diffContext = 3;

/** The parsed JSON of `text`, or `undefined` when it is not JSON (a Protobuf schema). */
function parsedJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * A schema's text as the page shows it: JSON (a JSON Schema, an Avro schema) indented by two spaces in its
 * own key order; anything else (Protobuf) as registered.
 */
export function formatSchema(text: string): string {
  const json = parsedJson(text);
  return json === undefined ? text : JSON.stringify(json.value, null, 2);
}

/**
 * The line diff of two texts: each hunk's lines with their numbers in each text, and a `skipped` line for each
 * run of unchanged lines between hunks (and before the first, after the last). Empty when the texts are equal.
 */
export function lineDiff(before: string, after: string, context = diffContext): SchemaDiffLine[] {
  // Both texts end with a newline, so a line added at the end does not show the last one as changed too.
  const ended = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
  const { hunks } = structuredPatch('before', 'after', ended(before), ended(after), '', '', { context });
  const total = ended(before).split('\n').length - 1;
  const out: SchemaDiffLine[] = [];
  let nextFrom = 1;
  for (const hunk of hunks) {
    // A hunk that adds to an empty text starts at 0 in it.
    const start = Math.max(hunk.oldStart, 1);
    if (hunk.oldLines > 0 && start > nextFrom) out.push({ kind: 'skipped', lines: start - nextFrom });
    let from = hunk.oldStart === 0 ? 1 : hunk.oldStart;
    let to = hunk.newStart === 0 ? 1 : hunk.newStart;
    for (const line of hunk.lines) {
      const text = line.slice(1);
      switch (line[0]) {
        case ' ':
          out.push({ kind: 'same', text, from: from++, to: to++ });
          break;
        case '+':
          out.push({ kind: 'added', text, to: to++ });
          break;
        case '-':
          out.push({ kind: 'removed', text, from: from++ });
          break;
      }
    }
    nextFrom = from;
  }
  if (hunks.length > 0 && nextFrom <= total) out.push({ kind: 'skipped', lines: total - nextFrom + 1 });
  return out;
}

/**
 * What differs between two versions of a subject: the fields (when both are JSON) and the formatted texts'
 * line diff. `from` and `to` carry formatted schemas ({@link formatSchema}).
 */
export function compareVersions(from: SchemaVersionView, to: SchemaVersionView): SchemaComparison {
  const before = parsedJson(from.schema);
  const after = parsedJson(to.schema);
  const json = before !== undefined && after !== undefined;
  const differences = json ? schemaDifferences(before.value, after.value) : [];
  const lines = lineDiff(from.schema, to.schema);
  const summary = !json
    ? `not JSON (${from.schemaType}): only the lines are compared`
    : lines.length === 0
      ? 'the two versions are the same'
      : describeDifferences(differences);
  return { subject: from.subject, from, to, differences, summary, lines };
}
