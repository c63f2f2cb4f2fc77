/**
 * The per-start token that every request changing something must carry (api.ts's `tokenHeader`). It travels
 * in the printed URL's fragment, which the browser never sends, and comes back as a header, never a cookie,
 * so another site cannot make the browser send it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A new token: 24 random bytes, base64url (32 characters). */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Whether `given` (a header's value, maybe missing or repeated) is the token, compared in constant time. */
export function tokenMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
