/**
 * `npm run schemas`: everything generated from the zod schemas. The versioned JSON Schemas of the pipeline's
 * events under events/schemas/, from functions/lib/published-schemas.ts, so the published contract is the one
 * the code enforces; and the settings tables of the READMEs (settings-table.ts). Unit tests fail when the
 * committed files and the code disagree.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type PublishedSchemaFile,
  publishedSchemas,
  publishedSchemaText,
} from '../../functions/lib/published-schemas.ts';
import { repoRoot } from '../../lib/paths.ts';
import { generatedTables, spliceTable } from './settings-table.ts';

export const schemasDir = join(repoRoot, 'events', 'schemas');

/** Each published schema's file name and JSON text (2-space indented, trailing newline). */
export function renderSchemas(): { file: string; text: string }[] {
  return (Object.keys(publishedSchemas) as PublishedSchemaFile[]).map((file) => ({
    file,
    text: publishedSchemaText(file),
  }));
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
