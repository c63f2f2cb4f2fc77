/**
 * Which version of a subject the Schemas view shows, and which two it compares, from the fragment's query
 * (`#/schemas?subject=s&version=2&from=1&to=3`) and the versions the subject has. Pure.
 */

/** A version the query names when the subject has it, else the latest; null for a subject with none. */
export function shownVersion(versions: readonly number[], asked: string | null): number | null {
  const n = Number(asked);
  if (asked !== null && versions.includes(n)) return n;
  return versions.at(-1) ?? null;
}

/**
 * The two versions to compare: the query's `from` and `to` when the subject has both, else the one before
 * the latest and the latest. Null while the subject has fewer than two versions.
 */
export function comparedPair(
  versions: readonly number[],
  from: string | null,
  to: string | null,
): { from: number; to: number } | null {
  if (versions.length < 2) return null;
  const [a, b] = [Number(from), Number(to)];
  if (from !== null && to !== null && versions.includes(a) && versions.includes(b)) return { from: a, to: b };
  const latest = versions.at(-1) ?? 0;
  return { from: versions.at(-2) ?? latest, to: latest };
}
