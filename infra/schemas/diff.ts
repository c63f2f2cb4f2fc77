/**
 * What differs between two versions of a published JSON Schema, field by field, for the messages of a change
 * the Schema Registry refuses. The registry decides (its compatibility rule); this only names the fields:
 * Apicurio's Confluent-compatible API answers a compatibility check with a bare `is_compatible: false`.
 * Pure: JSON in, lines out.
 */

/** One difference, at a field's dotted path (`user.name.first`; `(root)` for the value itself). */
export interface SchemaDifference {
  field: string;
  change: string;
}

// Keywords that document a schema without constraining a value.
const annotations = new Set(['$id', '$schema', 'title', 'description', 'examples', 'default']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return value === undefined ? 'none' : JSON.stringify(value);
}

function requiredOf(node: Record<string, unknown>): Set<string> {
  const required = node.required;
  return new Set(Array.isArray(required) ? required.filter((r) => typeof r === 'string') : []);
}

/**
 * Every difference between `before` and `after`, walking `properties` into nested objects: a field added
 * (required or optional), removed, newly required or no longer required, and any constraint keyword changed
 * (`type`, `maxLength`, `enum`, `anyOf`, `additionalProperties`, ...). Annotations (`title`, `description`,
 * `$id`, `$schema`) are left out.
 *
 * @param before - the registered version, as parsed JSON
 * @param after - the candidate version, as parsed JSON
 */
export function schemaDifferences(before: unknown, after: unknown, field = ''): SchemaDifference[] {
  const at = field === '' ? '(root)' : field;
  if (!isObject(before) || !isObject(after)) {
    return JSON.stringify(before) === JSON.stringify(after)
      ? []
      : [{ field: at, change: `schema ${text(before)} -> ${text(after)}` }];
  }
  const out: SchemaDifference[] = [];
  const keywords = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const keyword of [...keywords].sort()) {
    if (annotations.has(keyword) || keyword === 'properties' || keyword === 'required') continue;
    const was = before[keyword];
    const is = after[keyword];
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    const change =
      was === undefined
        ? `${keyword} ${text(is)} added`
        : is === undefined
          ? `${keyword} ${text(was)} removed`
          : `${keyword} ${text(was)} -> ${text(is)}`;
    out.push({ field: at, change });
  }

  const beforeProps = isObject(before.properties) ? before.properties : {};
  const afterProps = isObject(after.properties) ? after.properties : {};
  const beforeRequired = requiredOf(before);
  const afterRequired = requiredOf(after);
  const names = new Set([...Object.keys(beforeProps), ...Object.keys(afterProps)]);
  for (const name of [...names].sort()) {
    const path = field === '' ? name : `${field}.${name}`;
    const was = beforeProps[name];
    const is = afterProps[name];
    if (was === undefined) {
      out.push({ field: path, change: `added (${afterRequired.has(name) ? 'required' : 'optional'})` });
      continue;
    }
    if (is === undefined) {
      out.push({ field: path, change: 'removed' });
      continue;
    }
    if (!beforeRequired.has(name) && afterRequired.has(name))
      out.push({ field: path, change: 'now required' });
    if (beforeRequired.has(name) && !afterRequired.has(name)) {
      out.push({ field: path, change: 'no longer required' });
    }
    out.push(...schemaDifferences(was, is, path));
  }
  return out;
}

/**
 * The differences as one line for a message, the first `max` of them and how many more:
 * `batchId: type "string" -> "number"; user.cell: removed`.
 */
export function describeDifferences(differences: readonly SchemaDifference[], max = 8): string {
  if (differences.length === 0) return 'no field differs (only annotations or key order)';
  const shown = differences.slice(0, max).map((d) => `${d.field}: ${d.change}`);
  const more = differences.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ');
}
