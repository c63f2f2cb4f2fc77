/**
 * The pure logic of store-users: reads a `UsersFetched` detail user by user, rejects what PostgreSQL could
 * not store (so it cannot roll back its neighbours' transaction), drops duplicates, and builds for each user
 * the `users_raw` payload and the outbox message, which is the `users_created` Kafka value.
 */
import type { ValidationError } from '../lib/errors.ts';
import { ValidationError as Invalid } from '../lib/errors.ts';
import { userSchema } from '../lib/schemas.ts';
import { userCreated } from '../lib/users-created.ts';
import { check } from '../lib/validate.ts';

/** A user ready to store: its id, its payload and its outbox message, both as JSON text. */
export interface StorableUser {
  id: string;
  payload: string;
  message: string;
}

/** A user set aside, with the reason; never the record itself. */
export interface RejectedUser {
  index: number;
  userId: string | undefined;
  error: ValidationError;
}

/** The outcome of {@link prepareUsers}. */
export interface PreparedBatch {
  users: StorableUser[];
  rejected: RejectedUser[];
  duplicates: number;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Finds the first value PostgreSQL cannot store in `text` or `jsonb`: the NUL character, or a lone UTF-16
 * surrogate (which has no UTF-8 form). Keys are checked as well as values.
 *
 * @returns the path of the offending string, e.g. `name.first`, or undefined when all is storable
 */
export function findUnstorable(value: unknown, path = ''): string | undefined {
  const bad = (s: string) => s.includes('\u0000') || loneSurrogate.test(s);
  if (typeof value === 'string') return bad(value) ? path || '(root)' : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findUnstorable(item, `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (bad(key)) return at;
      const found = findUnstorable(item, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Validates and prepares each user of a batch on its own.
 *
 * @param users - the detail's `users`, unvalidated
 * @param where - names the batch in errors, e.g. `UsersFetched seed-1:2`
 */
export function prepareUsers(
  users: readonly unknown[],
  batch: { batchId: string; fetchedAt: string },
  where: string,
): PreparedBatch {
  const prepared: StorableUser[] = [];
  const rejected: RejectedUser[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  users.forEach((raw, index) => {
    const at = `${where} users[${index}]`;
    const checked = check(userSchema, raw, at);
    if (!checked.ok) {
      rejected.push({ index, userId: undefined, error: checked.error });
      return;
    }
    const user = checked.value;
    const badPath = findUnstorable(user);
    if (badPath !== undefined) {
      rejected.push({
        index,
        userId: user.login.uuid,
        error: new Invalid(
          `invalid ${at}: ${badPath} holds a NUL or lone surrogate, which PostgreSQL cannot store`,
          `${at}.${badPath}`,
          {
            code: 'UNSTORABLE_TEXT',
          },
        ),
      });
      return;
    }
    if (seen.has(user.login.uuid)) {
      duplicates++;
      return;
    }
    seen.add(user.login.uuid);
    prepared.push({
      id: user.login.uuid,
      payload: JSON.stringify(user),
      message: JSON.stringify(userCreated(user, batch)),
    });
  });
  return { users: prepared, rejected, duplicates };
}
