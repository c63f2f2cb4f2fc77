/**
 * Which contracts are published as versioned JSON Schemas under events/schemas/, and under which file name
 * and title: the EventBridge details (schemas.ts) and the `users_created` value (users-created.ts).
 * infra/schemas/generate.ts renders them (`npm run schemas`), and its test fails when the committed files
 * and the code disagree. A module of its own so that neither contract module imports the other.
 */
import { z } from 'zod';
import { usersFetchedSchema, usersStoredSchema } from './schemas.ts';
import { userCreatedSchema } from './users-created.ts';

/**
 * The JSON Schema draft the published files declare: draft-07, the newest that every registry the pipeline
 * registers them in can check. Apicurio Registry 3's compatibility rule (the local registry) and AWS Glue's
 * Schema Registry know drafts 4 to 7 only: given a 2020-12 schema, Apicurio answers every compatibility check,
 * and so every new version under a rule, with a 500 ("could not determine version"). For these schemas zod
 * writes the same keywords for both drafts; only `$schema` differs.
 */
export const publishedSchemaTarget = 'draft-7';

/** The versioned JSON Schemas published under events/schemas/, by file name. */
export const publishedSchemas = {
  'users-fetched.v1.json': { title: 'UsersFetched', schema: usersFetchedSchema },
  'users-stored.v1.json': { title: 'UsersStored', schema: usersStoredSchema },
  'users-created.value.v1.json': { title: 'users_created value', schema: userCreatedSchema },
} as const;

/** The name of a published schema file. */
export type PublishedSchemaFile = keyof typeof publishedSchemas;

/** The base of every published schema's `$id`. */
export const publishedSchemaBase =
  'https://github.com/realtime-user-pipeline/realtime-user-pipeline/events/schemas/';

/**
 * One schema's published text: its `$id` and title, then zod's JSON Schema of its output side, 2-space indented
 * with a trailing newline. `npm run schemas` writes the files with it, the tests render variants of a contract
 * (a breaking one, a compatible v2) the same way, and publish-users renders the value schema it writes to look
 * up its id in the registry by that text, byte for byte what the migrations registered.
 */
export function renderSchema(schema: z.ZodType, head: { $id: string; title: string }): string {
  const json = z.toJSONSchema(schema, {
    target: publishedSchemaTarget,
    io: 'output',
    unrepresentable: 'throw',
  });
  return `${JSON.stringify({ ...head, ...json }, null, 2)}\n`;
}

/** The text of a published file as the code renders it now (the drift test keeps the file equal to it). */
export function publishedSchemaText(file: PublishedSchemaFile): string {
  const { title, schema } = publishedSchemas[file];
  return renderSchema(schema, { $id: `${publishedSchemaBase}${file}`, title });
}
