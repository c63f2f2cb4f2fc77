import type { z } from 'zod';
import { describeIssues } from '../../lib/errors.ts';
import { ValidationError } from './errors.ts';

/** The outcome of {@link check}: the parsed value, or the {@link ValidationError} that says what and where. */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: ValidationError };

/**
 * Validates `input` against `schema` without throwing.
 *
 * @param where - where the input came from, e.g. `UsersFetched users[4]`; it prefixes the issue paths
 */
export function check<S extends z.ZodType>(schema: S, input: unknown, where: string): Checked<z.output<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    error: new ValidationError(`invalid ${where}: ${describeIssues(parsed.error)}`, where, {
      cause: parsed.error,
    }),
  };
}

/**
 * Validates `input` against `schema`.
 *
 * @throws {@link ValidationError} naming `where` and every failing path
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = check(schema, input, where);
  if (!result.ok) throw result.error;
  return result.value;
}
