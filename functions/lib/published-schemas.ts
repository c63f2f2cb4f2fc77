/**
 * Which contracts are published as versioned JSON Schemas under events/schemas/, and under which file name
 * and title: the EventBridge details (schemas.ts) and the `users_created` value (users-created.ts).
 * infra/schemas/generate.ts renders them (`npm run schemas`), and its test fails when the committed files
 * and the code disagree. A module of its own so that neither contract module imports the other.
 */
import { usersFetchedSchema, usersStoredSchema } from './schemas.ts';
import { userCreatedSchema } from './users-created.ts';

/** The versioned JSON Schemas published under events/schemas/, by file name. */
export const publishedSchemas = {
  'users-fetched.v1.json': { title: 'UsersFetched', schema: usersFetchedSchema },
  'users-stored.v1.json': { title: 'UsersStored', schema: usersStoredSchema },
  'users-created.value.v1.json': { title: 'users_created value', schema: userCreatedSchema },
} as const;
