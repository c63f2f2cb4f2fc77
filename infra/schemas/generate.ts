/**
 * The versioned JSON Schemas of the pipeline's events under events/schemas/, generated from the zod schemas
 * in functions/lib/published-schemas.ts so the published contract is the one the code enforces. `npm run schemas`
 * rewrites the files; a unit test fails when the committed files and the code disagree.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { publishedSchemas } from '../../functions/lib/published-schemas.ts';

export const schemasDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'events', 'schemas');

const base = 'https://github.com/realtime-user-pipeline/realtime-user-pipeline/events/schemas/';

/** Each published schema's file name and JSON text (2-space indented, trailing newline). */
export function renderSchemas(): { file: string; text: string }[] {
  return Object.entries(publishedSchemas).map(([file, { title, schema }]) => {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'throw' });
    const document = { $id: `${base}${file}`, title, ...json };
    return { file, text: `${JSON.stringify(document, null, 2)}\n` };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { file, text } of renderSchemas()) {
    await writeFile(join(schemasDir, file), text);
    console.log(`wrote events/schemas/${file}`);
  }
}
