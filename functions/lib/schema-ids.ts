/**
 * The two registry questions of the wire format, cached, over the registry client module (registry.ts):
 * which id the schema a producer writes has (publish-users), and which version of the topic's subject an id
 * a record carries is, if any (sink-users, the console). Ids never change meaning in a registry, so an answer
 * is kept for the life of the process; an id the registry does not know is asked again after a while, and a
 * failed call is not kept at all, so the next batch asks again.
 */
import { ConfigError } from './errors.ts';
import { type SchemaRegistryClient, SchemaRegistryError, type SubjectVersion } from './registry.ts';

/** The registry calls the lookups make. */
export type SchemaLookups = Pick<SchemaRegistryClient, 'url' | 'find' | 'schemaById'>;

/** Defaults of {@link createSchemaVersions}. */
export const schemaIdDefaults = {
  /** How long an id the registry does not know is taken as unknown before it is asked again. */
  unknownTtlMs: 60_000,
} as const;

/**
 * The id of `schema` under `subject`, looked up once (and again only after a failure). Registers nothing: the
 * migrations govern the subject, and a producer that registered its own versions would bypass them.
 *
 * @returns a function that resolves with the id
 * @throws (the function) {@link ConfigError} `SCHEMA_NOT_REGISTERED` when the subject does not hold the
 *   schema, naming `npm run migrate`; {@link SchemaRegistryError} when the registry fails (retryable on 5xx
 *   and connection failures)
 */
export function createWriterSchemaId(
  registry: SchemaLookups,
  subject: string,
  schema: string,
): () => Promise<number> {
  let id: Promise<number> | undefined;
  const lookUp = async () => {
    const found = await registry.find(subject, schema);
    if (found === undefined) {
      throw new ConfigError(
        `the Schema Registry at ${registry.url} has no version of ${subject} with the schema this function ` +
          'writes: run `npm run migrate` (it registers events/schemas/users-created.value.v1.json), or unset ' +
          'SCHEMA_REGISTRY_URL to publish plain JSON',
        ['SCHEMA_REGISTRY_URL'],
        { code: 'SCHEMA_NOT_REGISTERED' },
      );
    }
    return found.id;
  };
  return () => {
    id ??= lookUp().catch((error: unknown) => {
      id = undefined;
      throw error;
    });
    return id;
  };
}

/** Which version of a subject an id is. */
export interface SchemaVersions {
  /**
   * The version of the subject whose schema has `id`; `undefined` when the registry has no such id, or the
   * schema is not a version of the subject.
   *
   * @throws {@link SchemaRegistryError} when the registry fails; nothing is cached then
   */
  versionOf(id: number): Promise<SubjectVersion | undefined>;
}

/** Options of {@link createSchemaVersions}. */
export interface SchemaVersionsOptions {
  unknownTtlMs?: number;
  /** Milliseconds since the epoch; tests inject their own. */
  now?: () => number;
}

/**
 * The versions of `subject` by id, each asked of the registry once: the schema of the id, then the version of
 * the subject that holds that schema (the Confluent API has no call from an id to its subject in the library).
 * Concurrent questions about the same id share one lookup.
 */
export function createSchemaVersions(
  registry: SchemaLookups,
  subject: string,
  options: SchemaVersionsOptions = {},
): SchemaVersions {
  const ttl = options.unknownTtlMs ?? schemaIdDefaults.unknownTtlMs;
  const now = options.now ?? Date.now;
  const known = new Map<number, Promise<SubjectVersion | undefined>>();
  const unknownSince = new Map<number, number>();

  const lookUp = async (id: number): Promise<SubjectVersion | undefined> => {
    let schema: string;
    try {
      schema = await registry.schemaById(id);
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.status === 404) return undefined;
      throw error;
    }
    const found = await registry.find(subject, schema);
    return found?.id === id ? found : undefined;
  };

  return {
    versionOf(id) {
      const since = unknownSince.get(id);
      if (since !== undefined && now() - since >= ttl) {
        known.delete(id);
        unknownSince.delete(id);
      }
      let answer = known.get(id);
      if (answer === undefined) {
        answer = lookUp(id).then(
          (version) => {
            if (version === undefined) unknownSince.set(id, now());
            return version;
          },
          (error: unknown) => {
            known.delete(id);
            throw error;
          },
        );
        known.set(id, answer);
      }
      return answer;
    },
  };
}
