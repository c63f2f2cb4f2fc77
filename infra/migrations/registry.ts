/**
 * Registers the `users_created` value schema in the Schema Registry and holds its subject to a compatibility
 * rule, so the registry refuses a version that the previous one's data would not pass. The schema is the
 * published file (events/schemas/users-created.value.v1.json) as it is, under the subject `<topic>-value`
 * (Confluent's TopicNameStrategy, which the wire format's serdes look up).
 *
 * Idempotent: a subject that already holds the file's text is left as it is (same version, same id), and a
 * rule that is already BACKWARD or stricter is kept. A registry that refuses the file stops the run with
 * {@link SchemaIncompatibleError}, naming the fields and the fix; nothing is forced.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  backwardOrStricter,
  type CompatibilityLevel,
  type SchemaRegistryClient,
} from '../../functions/lib/registry.ts';
import { errorText } from '../../lib/errors.ts';
import { describeDifferences, type SchemaDifference, schemaDifferences } from '../schemas/diff.ts';
import { MigrationError, SchemaIncompatibleError, ServerUnreachableError } from './errors.ts';
import type { MigrationLog } from './types.ts';

/** Options of `migrateRegistry`; `migrate` fills them from the stack config and `registryDefaults`. */
export interface RegistryMigrationOptions {
  /** The registry's Confluent-compatible API. */
  client: SchemaRegistryClient;
  /** Whether a registry answers there (the stack's health check); asked once, before any call. */
  reachable: () => Promise<boolean>;
  /**
   * When no registry answers: skip with a line that says so (a stack of servers someone else runs, which
   * may have none), or fail (the stack's own registry, which `stack:up` starts).
   */
  whenAbsent: 'skip' | 'fail';
  subject: string;
  /** The JSON Schema file to register. */
  schemaFile: string;
  /** The rule set when the subject has none, or one weaker than BACKWARD. */
  compatibility: CompatibilityLevel;
  log: MigrationLog;
}

/** Defaults of the registry options that do not depend on the stack config. */
export const registryDefaults = {
  compatibility: 'BACKWARD',
} as const satisfies Partial<RegistryMigrationOptions>;

/** What `migrateRegistry` did. */
export type RegistrySummary =
  | {
      endpoint: string;
      subject: string;
      action: 'registered' | 'present';
      /** The schema id of the file's text, and its version in the subject. */
      id: number;
      version: number;
      /** The subject's rule after the run, and before it when this run set it. */
      compatibility: CompatibilityLevel;
      previousCompatibility?: CompatibilityLevel | 'none';
    }
  | { endpoint: string; subject: string; action: 'skipped'; reason: string };

/**
 * Registers the schema file under the subject (unless the subject holds it already) and makes the subject's
 * compatibility rule BACKWARD or stricter.
 *
 * @throws ServerUnreachableError when no registry answers and `whenAbsent` is `fail`.
 * @throws SchemaIncompatibleError when the registry refuses the file under the subject's rule.
 */
export async function migrateRegistry(options: RegistryMigrationOptions): Promise<RegistrySummary> {
  const { client, subject, log } = options;
  const endpoint = client.url;
  if (!(await options.reachable())) {
    if (options.whenAbsent === 'fail') {
      throw new ServerUnreachableError(
        'Schema Registry',
        endpoint,
        new Error('no answer to its health check'),
      );
    }
    const reason = `no Schema Registry answers at ${endpoint}: ${subject} is not registered and no compatibility rule guards it`;
    log(reason);
    return { endpoint, subject, action: 'skipped', reason };
  }

  const schema = await readFile(options.schemaFile, 'utf8').catch((error: unknown) => {
    throw new MigrationError(`cannot read ${options.schemaFile}: ${errorText(error)}`, { cause: error });
  });
  const found = await client.find(subject, schema);
  if (found) {
    const rule = await ensureRule(options);
    return { endpoint, subject, action: 'present', id: found.id, version: found.version, ...rule };
  }

  const latest = await client.latest(subject);
  // An existing subject gets its rule before the new version, so the registry itself judges the version.
  const rule = latest ? await ensureRule(options) : undefined;
  if (latest) {
    const report = await client.checkCompatibility(subject, schema).catch((error: unknown) => {
      // Apicurio answers 500 when it cannot read a version as JSON Schema, e.g. one of draft 2020-12 registered
      // before the files declared draft-07 (functions/lib/published-schemas.ts).
      throw new MigrationError(
        `${subject}: the registry could not compare ${basename(options.schemaFile)} with its version ` +
          `${latest.version}: ${errorText(error)}. To start the subject afresh: ${fix}`,
        {
          code: 'SCHEMA_CHECK_FAILED',
          cause: error,
          retryable: error instanceof Error && isRetryable(error),
        },
      );
    });
    if (!report.compatible) {
      throw refusal(options, latest, schema, rule?.compatibility ?? options.compatibility, report.messages);
    }
  }
  let id: number;
  try {
    ({ id } = await client.register(subject, schema));
  } catch (error) {
    // Another run (two `npm start`s, or the tests' concurrent migrations) may have registered the same file
    // between our check and now, and the registry refuse our copy as a conflict: its version is ours too.
    const theirs = await client.find(subject, schema).catch(() => undefined);
    if (theirs) {
      const ensured = rule ?? (await ensureRule(options));
      return { endpoint, subject, action: 'present', id: theirs.id, version: theirs.version, ...ensured };
    }
    // A different version registered by another run meanwhile can make the registry refuse ours.
    if (latest && error instanceof Error && 'status' in error && error.status === 409) {
      throw refusal(options, latest, schema, rule?.compatibility ?? options.compatibility, [
        errorText(error),
      ]);
    }
    throw error;
  }
  const registered = await client.find(subject, schema);
  if (!registered) {
    throw new MigrationError(`${subject}: registered as schema ${id}, but the registry does not list it`);
  }
  log(`registered ${basename(options.schemaFile)} as ${subject} version ${registered.version} (id ${id})`);
  // A new subject gets its rule after its first version: Apicurio has no subject to hold a rule before it.
  const ensured = rule ?? (await ensureRule(options));
  return { endpoint, subject, action: 'registered', id, version: registered.version, ...ensured };
}

/** What to do about a subject that holds a version the file cannot follow. */
const fix =
  "`npm run stack:reset` for a local registry (it drops the registry's database with the stack's data), or " +
  'delete the subject alone (infra/migrations/README.md, "The Schema Registry step")';

function isRetryable(error: Error): boolean {
  return 'retryable' in error && error.retryable === true;
}

/** Makes the subject's rule BACKWARD or stricter; says what it was when this run changed it. */
async function ensureRule(
  options: RegistryMigrationOptions,
): Promise<{ compatibility: CompatibilityLevel; previousCompatibility?: CompatibilityLevel | 'none' }> {
  const { client, subject } = options;
  const current = await client.compatibility(subject);
  if (current !== undefined && backwardOrStricter.has(current)) return { compatibility: current };
  try {
    await client.setCompatibility(subject, options.compatibility);
  } catch (error) {
    // Another run setting the rule at the same moment can make the registry refuse ours (Apicurio: the rule
    // exists); what counts is the rule the subject holds now.
    const now = await client.compatibility(subject).catch(() => undefined);
    if (now !== undefined && backwardOrStricter.has(now)) return { compatibility: now };
    throw error;
  }
  options.log(`set the compatibility of ${subject} to ${options.compatibility} (was ${current ?? 'none'})`);
  return { compatibility: options.compatibility, previousCompatibility: current ?? 'none' };
}

/** The error for a file the registry refuses: which fields differ from the latest version, and the fix. */
function refusal(
  options: RegistryMigrationOptions,
  latest: { version: number; schema: string },
  schema: string,
  rule: CompatibilityLevel,
  messages: readonly string[],
): SchemaIncompatibleError {
  const differences = differencesOf(latest.schema, schema);
  const file = basename(options.schemaFile);
  const sameFile = idOf(latest.schema) !== undefined && idOf(latest.schema) === idOf(schema);
  const why = sameFile
    ? `Its version ${latest.version} is an earlier text of ${file}: v1 was edited in place.`
    : `Its version ${latest.version} is another schema.`;
  return new SchemaIncompatibleError({
    subject: options.subject,
    rule,
    differences,
    messages,
    detail:
      `${options.subject} refuses ${file} under ${rule}: ${describeDifferences(differences)}. ${why} ` +
      `If the change only tightens v1 (as the bounds on every string and number did) and no record carries the ` +
      `registry's ids yet, start the subject afresh: ${fix}. A change that breaks consumers needs a new major ` +
      'version of the file (.v2.json) instead',
  });
}

function differencesOf(before: string, after: string): SchemaDifference[] {
  try {
    return schemaDifferences(JSON.parse(before), JSON.parse(after));
  } catch {
    return [{ field: '(root)', change: 'not JSON' }];
  }
}

function idOf(schema: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(schema);
    return typeof parsed === 'object' && parsed !== null && '$id' in parsed && typeof parsed.$id === 'string'
      ? parsed.$id
      : undefined;
  } catch {
    return undefined;
  }
}
