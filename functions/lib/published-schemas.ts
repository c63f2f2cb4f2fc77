/**
 * Which contracts are published as versioned JSON Schemas under events/schemas/, and under which file name
 * and title: the EventBridge details (schemas.ts) and the `users_created` value (users-created.ts).
 * infra/schemas/generate.ts renders them (`npm run schemas`), and its test fails when the committed files
 * and the code disagree. A module of its own so that neither contract module imports the other.
 */
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
