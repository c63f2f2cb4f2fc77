/**
 * The Schemas view's reads: the registry's subjects and default rule, a subject's versions and rule, one
 * version's schema, and two versions compared (schema-compare.ts). Read-only: nothing here registers or
 * changes a rule. A registry that does not answer is a 503 naming the fix, and only this view's routes fail.
 */
import type { SchemaRegistryReader, SubjectVersionDetail } from '../../functions/lib/registry.ts';
import { errorText } from '../../lib/errors.ts';
import type { SchemaComparison, SchemaRegistryView, SchemaSubjectView, SchemaVersionView } from './api.ts';
import { ConsoleError, notFound } from './errors.ts';
import { compareVersions, formatSchema } from './schema-compare.ts';

/** The registry as the console reads it: its client, and whether anything listens at its address. */
export interface ConsoleRegistry {
  client: SchemaRegistryReader;
  /** Whether the registry's port accepts a connection: tells "no registry" from a registry that failed. */
  listening(): Promise<boolean>;
}

/** Runs a registry read; a failure becomes a 503 when nothing listens there, else a 502 with the registry's words. */
async function read<T>(registry: ConsoleRegistry, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const url = registry.client.url;
    if (!(await registry.listening().catch(() => false))) {
      throw new ConsoleError(
        `No Schema Registry answers at ${url}: start the stack with npm run stack:up (npm run stack:status shows the registry's health).`,
        503,
        { code: 'SCHEMA_REGISTRY_UNAVAILABLE', retryable: true, cause: error },
      );
    }
    throw new ConsoleError(`The Schema Registry at ${url} failed: ${errorText(error)}`, 502, {
      code: 'SCHEMA_REGISTRY_FAILED',
      retryable: true,
      cause: error,
    });
  }
}

/** A version as the page shows it: its schema formatted. */
function versionView(v: SubjectVersionDetail): SchemaVersionView {
  return {
    subject: v.subject,
    version: v.version,
    id: v.id,
    schemaType: v.schemaType,
    schema: formatSchema(v.schema),
  };
}

/** The registry's address, default rule and subjects (sorted by name). */
export async function registryView(registry: ConsoleRegistry): Promise<SchemaRegistryView> {
  const [subjects, defaultCompatibility] = await read(registry, () =>
    Promise.all([registry.client.subjects(), registry.client.globalCompatibility()]),
  );
  return {
    url: registry.client.url,
    defaultCompatibility,
    subjects: [...subjects].sort((a, b) => a.localeCompare(b)),
  };
}

/**
 * A subject's versions and its rule.
 *
 * @throws ConsoleError 404 when the registry has no such subject
 */
export async function subjectView(registry: ConsoleRegistry, subject: string): Promise<SchemaSubjectView> {
  const [versions, own, defaultCompatibility] = await read(registry, () =>
    Promise.all([
      registry.client.versions(subject),
      registry.client.compatibility(subject),
      registry.client.globalCompatibility(),
    ]),
  );
  if (versions === undefined) throw notFound(`The Schema Registry has no subject ${subject}.`);
  return {
    subject,
    versions: [...versions].sort((a, b) => a - b),
    compatibility: own ?? null,
    effectiveCompatibility: own ?? defaultCompatibility,
    defaultCompatibility,
  };
}

/**
 * One version of a subject, its schema formatted.
 *
 * @throws ConsoleError 404 when the subject or the version does not exist
 */
export async function versionOf(
  registry: ConsoleRegistry,
  subject: string,
  version: number,
): Promise<SchemaVersionView> {
  const found = await read(registry, () => registry.client.version(subject, version));
  if (found === undefined) {
    throw notFound(
      `The Schema Registry has no version ${version} of ${subject}: pick one the subject lists.`,
    );
  }
  return versionView(found);
}

/**
 * Two versions of a subject compared: the fields that differ and the line diff, `from` the earlier.
 *
 * @throws ConsoleError 404 when either version does not exist
 */
export async function compareSubjectVersions(
  registry: ConsoleRegistry,
  subject: string,
  from: number,
  to: number,
): Promise<SchemaComparison> {
  const [before, after] = await Promise.all([
    versionOf(registry, subject, from),
    versionOf(registry, subject, to),
  ]);
  return compareVersions(before, after);
}
