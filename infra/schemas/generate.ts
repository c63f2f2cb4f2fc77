/**
 * `npm run schemas`: everything generated from the zod schemas. The versioned JSON Schemas of the pipeline's
 * events under events/schemas/, from functions/lib/published-schemas.ts, so the published contract is the one
 * the code enforces; and the settings tables of the READMEs (settings-table.ts). Unit tests fail when the
 * committed files and the code disagree.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { publishedSchemas, publishedSchemaTarget } from '../../functions/lib/published-schemas.ts';
import { repoRoot } from '../../lib/paths.ts';
import { generatedTables, spliceTable } from './settings-table.ts';

export const schemasDir = join(repoRoot, 'events', 'schemas');

const base = 'https://github.com/realtime-user-pipeline/realtime-user-pipeline/events/schemas/';

/** Each published schema's file name and JSON text (2-space indented, trailing newline). */
export function renderSchemas(): { file: string; text: string }[] {
  return Object.entries(publishedSchemas).map(([file, { title, schema }]) => {
    return { file, text: renderSchema(schema, { $id: `${base}${file}`, title }) };
  });
}

/**
 * One schema's published text: its `$id` and title, then zod's JSON Schema of its output side, 2-space indented
 * with a trailing newline. The tests render variants of a contract (a breaking one, a compatible v2) the same
 * way, so the registry compares them with what the migrations registered on equal terms.
 */
export function renderSchema(schema: z.ZodType, head: { $id: string; title: string }): string {
  const json = z.toJSONSchema(schema, {
    target: publishedSchemaTarget,
    io: 'output',
    unrepresentable: 'throw',
  });
  return `${JSON.stringify({ ...head, ...json }, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { file, text } of renderSchemas()) {
    await writeFile(join(schemasDir, file), text);
    console.log(`wrote events/schemas/${file}`);
  }
  for (const table of generatedTables()) {
    const path = join(repoRoot, table.file);
    await writeFile(path, spliceTable(await readFile(path, 'utf8'), table));
    console.log(`wrote the <!-- ${table.marker} --> table of ${table.file}`);
  }
}
