/**
 * The Schema Registry client module: the few calls the pipeline makes on a Confluent-compatible registry
 * (Apicurio's `ccompat` API locally, `/apis/ccompat/v7`), on the HTTP client of
 * `@kafkajs/confluent-schema-registry`. The migrations register `users_created-value` and set its
 * compatibility rule through it, and the tests ask the registry whether a schema change would be refused.
 *
 * Every answer is checked with a schema, and every failure becomes a {@link SchemaRegistryError} with the HTTP
 * status, so callers branch on codes, never on message text. The registry's copy of a schema is the published
 * file's text, byte for byte, so a re-registration finds it.
 *
 * Most calls are on the library's API client (its `dist/api` module): the library's `SchemaRegistry` class
 * keeps the compatibility check and the subject's rule to itself, and its `register` refuses a subject whose
 * rule is stricter than the one it is given. The wire format (issue 16, item 3) can use that class on the
 * same registry.
 */
import apiModule, {
  type SchemaRegistryAPIClient,
} from '@kafkajs/confluent-schema-registry/dist/api/index.js';
import { z } from 'zod';
import { errorText, networkCodes, PipelineError } from '../../lib/errors.ts';
import { serviceName } from '../../lib/topology.ts';

/** The compatibility rules of a Confluent-compatible registry. */
export const compatibilityLevels = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof compatibilityLevels)[number];

/**
 * The rules under which every new version can read what the previous one wrote (BACKWARD or stricter): the
 * least the pipeline asks of `users_created-value`.
 */
export const backwardOrStricter: ReadonlySet<CompatibilityLevel> = new Set([
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
]);

/** The subject of a topic's record values under Confluent's default TopicNameStrategy: `<topic>-value`. */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** A schema version held by a subject. */
export interface SubjectVersion {
  subject: string;
  /** The version within the subject, from 1. */
  version: number;
  /** The registry-wide schema id, the one a record in the wire format carries. */
  id: number;
  /** The schema's text, as registered. */
  schema: string;
}

/** The registry's answer to "would this schema be accepted as the subject's next version?". */
export interface CompatibilityReport {
  compatible: boolean;
  /** The registry's reasons when it would refuse it, as it words them (each names a path of the schema). */
  messages: string[];
}

/** A version as the registry shows it to a reader: {@link SubjectVersion} and the kind of schema it is. */
export interface SubjectVersionDetail extends SubjectVersion {
  /** `JSON`, `AVRO` or `PROTOBUF`; a Confluent-compatible registry leaves it out for Avro, its default. */
  schemaType: string;
}

/**
 * What a reader of the registry's contents does (the console's Schemas view): every call reads, none changes
 * anything.
 */
export interface SchemaRegistryReader {
  /** The base URL of the Confluent-compatible API. */
  readonly url: string;
  /** Every subject, in the registry's order. */
  subjects(): Promise<string[]>;
  /** The subject's versions, oldest first; `undefined` when the subject does not exist. */
  versions(subject: string): Promise<number[] | undefined>;
  /** One version of a subject; `undefined` when the subject or the version does not exist. */
  version(subject: string, version: number): Promise<SubjectVersionDetail | undefined>;
  /** The subject's own compatibility rule; `undefined` when it has none (the registry's default applies). */
  compatibility(subject: string): Promise<CompatibilityLevel | undefined>;
  /** The registry's default compatibility rule, which applies to a subject without one of its own. */
  globalCompatibility(): Promise<CompatibilityLevel>;
}

/** What the pipeline does with a registry, on JSON Schemas (the registry's `schemaType` `JSON`). */
export interface SchemaRegistryClient {
  /** The base URL of the Confluent-compatible API. */
  readonly url: string;
  /** The subject's own compatibility rule; `undefined` when it has none (the registry's default applies). */
  compatibility(subject: string): Promise<CompatibilityLevel | undefined>;
  /** Sets the subject's compatibility rule. */
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /** The version of `subject` whose schema is `schema`, if there is one; registers nothing. */
  find(subject: string, schema: string): Promise<SubjectVersion | undefined>;
  /** The subject's latest version; `undefined` when the subject does not exist. */
  latest(subject: string): Promise<SubjectVersion | undefined>;
  /** The schema of an id, as registered. */
  schemaById(id: number): Promise<string>;
  /**
   * Registers `schema` as the next version of `subject` (the registry answers with the existing id when the
   * subject already holds it).
   *
   * @throws SchemaRegistryError with status 409 when the subject's compatibility rule refuses it.
   */
  register(subject: string, schema: string): Promise<{ id: number }>;
  /**
   * Asks the registry whether `schema` would be accepted as the next version of `subject` under its rule,
   * against the latest version. A subject that does not exist yet accepts anything.
   */
  checkCompatibility(subject: string, schema: string): Promise<CompatibilityReport>;
}

/**
 * A registry call failed. `status` is the HTTP status: 409 when a compatibility rule refuses a version, 422
 * for an invalid schema, 5xx when the registry fails, none when no answer came. The library reports a
 * connection that failed as a 400 with the socket error's text (mappersmith's convention for client-side
 * failures); {@link statusOf} takes such a 400 for no answer, so it is retryable. A caller that must tell "no
 * registry there" from "a registry that is down for a moment" probes the port first, as the migrations do.
 */
export class SchemaRegistryError extends PipelineError {
  override readonly name: string = 'SchemaRegistryError';
  /** The HTTP status, when one is known. */
  readonly status: number | undefined;

  constructor(message: string, options: { status?: number | undefined; cause?: unknown }) {
    const status = options.status;
    super(message, {
      code: status === 409 ? 'SCHEMA_REGISTRY_INCOMPATIBLE' : 'SCHEMA_REGISTRY_ERROR',
      cause: options.cause,
      // A registry that is restarting answers 5xx; a refusal (4xx) is the same on every try.
      retryable: status === undefined || status >= 500 || status === 429,
    });
    this.status = status;
  }
}

/** Defaults of {@link createSchemaRegistry}. */
export const registryDefaults = {
  /** Retries of a call the registry answered with a 5xx, with the library's backoff. */
  retries: 3,
  clientId: `${serviceName}-registry`,
} as const;

/** Options of {@link createSchemaRegistry}. */
export interface SchemaRegistryOptions {
  /** The base URL of the Confluent-compatible API, e.g. `http://127.0.0.1:8081/apis/ccompat/v7`. */
  url: string;
  retries?: number;
  clientId?: string;
}

// Node binds the default import of a CommonJS module to its `module.exports` (here `{ default: factory }`);
// Vite, and so vitest, binds it to `exports.default` as the module's `__esModule` flag asks.
const createApiClient = typeof apiModule === 'function' ? apiModule : apiModule.default;

const schemaType = 'JSON';
const versionAnswer = z.object({
  subject: z.string(),
  version: z.number().int().positive(),
  id: z.number().int().positive(),
  schema: z.string(),
});
const versionDetailAnswer = versionAnswer.extend({ schemaType: z.string().default('AVRO') });
const subjectsAnswer = z.array(z.string());
const versionsAnswer = z.array(z.number().int().positive());
const idAnswer = z.object({ id: z.number().int().positive() });
const schemaAnswer = z.object({ schema: z.string() });
// Confluent answers `compatibilityLevel`; some registries (and Confluent's PUT) spell it `compatibility`.
const configAnswer = z.union([
  z.object({ compatibilityLevel: z.enum(compatibilityLevels) }).transform((c) => c.compatibilityLevel),
  z.object({ compatibility: z.enum(compatibilityLevels) }).transform((c) => c.compatibility),
]);
const compatibilityAnswer = z.object({
  is_compatible: z.boolean(),
  messages: z.array(z.unknown()).optional(),
});

/** The shape of what the library's client resolves: a mappersmith response. */
interface Answer {
  data(): unknown;
}

/**
 * The HTTP status of what the library's client rejects with (its `ResponseError`), or undefined when no answer
 * came: mappersmith turns a socket failure into a 400 whose text names the socket's error code.
 */
function statusOf(error: unknown): number | undefined {
  if (!(error instanceof Error && 'status' in error && typeof error.status === 'number')) return undefined;
  const text = error.message;
  if (error.status === 400 && [...networkCodes].some((code) => text.includes(code))) return undefined;
  return error.status;
}

/**
 * A client of the registry at `options.url`. Builds the library's HTTP client only; nothing is sent until a
 * method is called.
 */
export function createSchemaRegistry(
  options: SchemaRegistryOptions,
): SchemaRegistryClient & SchemaRegistryReader {
  const url = options.url.replace(/\/+$/, '');
  const api: SchemaRegistryAPIClient = createApiClient({
    host: url,
    clientId: options.clientId ?? registryDefaults.clientId,
    retry: { retries: options.retries ?? registryDefaults.retries },
  });

  /** Runs one call; a 404 is `undefined` when `missingIsUndefined`, any other failure a SchemaRegistryError. */
  async function call<S extends z.ZodType>(
    what: string,
    answer: S,
    send: () => Promise<Answer>,
  ): Promise<z.output<S>>;
  async function call<S extends z.ZodType>(
    what: string,
    answer: S,
    send: () => Promise<Answer>,
    missingIsUndefined: true,
  ): Promise<z.output<S> | undefined>;
  async function call<S extends z.ZodType>(
    what: string,
    answer: S,
    send: () => Promise<Answer>,
    missingIsUndefined = false,
  ): Promise<z.output<S> | undefined> {
    let response: Answer;
    try {
      response = await send();
    } catch (error) {
      const status = statusOf(error);
      if (missingIsUndefined && status === 404) return undefined;
      throw new SchemaRegistryError(`schema registry at ${url}: ${what} failed: ${errorText(error)}`, {
        status,
        cause: error,
      });
    }
    const parsed = answer.safeParse(response.data());
    if (!parsed.success) {
      throw new SchemaRegistryError(
        `schema registry at ${url}: ${what}: unexpected answer (${z.prettifyError(parsed.error)})`,
        { status: 200, cause: parsed.error },
      );
    }
    return parsed.data;
  }

  const body = (schema: string) => ({ schemaType, schema });

  return {
    url,
    compatibility: (subject) =>
      call(
        `reading the compatibility of ${subject}`,
        configAnswer,
        () => api.Subject.config({ subject }),
        true,
      ),
    setCompatibility: async (subject, level) => {
      await call(`setting the compatibility of ${subject} to ${level}`, z.unknown(), () =>
        api.Subject.updateConfig({ subject, body: { compatibility: level } }),
      );
    },
    find: (subject, schema) =>
      call(
        `looking up a schema under ${subject}`,
        versionAnswer,
        () => api.Subject.registered({ subject, body: body(schema) }),
        true,
      ),
    latest: (subject) =>
      call(
        `reading the latest version of ${subject}`,
        versionAnswer,
        () => api.Subject.latestVersion({ subject }),
        true,
      ),
    globalCompatibility: () =>
      // The library has no call for the registry-wide rule; mappersmith takes a `path` per request instead.
      call('reading the default compatibility', configAnswer, () => api.Subject.config({ path: '/config' })),
    subjects: () => call('listing the subjects', subjectsAnswer, () => api.Subject.all({})),
    versions: (subject) =>
      call(
        `listing the versions of ${subject}`,
        versionsAnswer,
        // Nor for a subject's versions: the same per-request path, its {subject} encoded as the library's are.
        () => api.Subject.all({ path: '/subjects/{subject}/versions', subject }),
        true,
      ),
    version: (subject, version) =>
      call(
        `reading version ${version} of ${subject}`,
        versionDetailAnswer,
        () => api.Subject.version({ subject, version }),
        true,
      ),
    schemaById: async (id) =>
      (await call(`reading schema ${id}`, schemaAnswer, () => api.Schema.find({ id }))).schema,
    register: (subject, schema) =>
      call(`registering a version of ${subject}`, idAnswer, () =>
        api.Subject.register({ subject, body: body(schema) }),
      ),
    checkCompatibility: async (subject, schema) => {
      const report = await call(
        `checking a schema against ${subject}`,
        compatibilityAnswer,
        // `verbose` asks for the reasons, which name the fields; without it the registry says only yes or no.
        () => api.Subject.compatible({ subject, version: 'latest', verbose: true, body: body(schema) }),
        true,
      );
      if (report === undefined) return { compatible: true, messages: [] };
      return {
        compatible: report.is_compatible,
        messages: (report.messages ?? []).map((m) => (typeof m === 'string' ? m : JSON.stringify(m))),
      };
    },
  };
}
