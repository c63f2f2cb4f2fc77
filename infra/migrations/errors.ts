/**
 * Typed errors of the migration runner. Each carries its `cause` and a `retryable` flag: a server that is down
 * or a lock held by another run may succeed later; a changed or malformed migration file never will.
 */

/** Base class of every error raised by `infra/migrations`. */
export class MigrationError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

/** A server did not answer: it is down, still starting, or the host/port is wrong. */
export class ServerUnreachableError extends MigrationError {
  readonly server: 'PostgreSQL' | 'Cassandra' | 'Kafka';
  readonly endpoint: string;

  constructor(server: ServerUnreachableError['server'], endpoint: string, cause: unknown) {
    super(`${server} is not reachable at ${endpoint}: ${describeCause(cause)}`, { cause, retryable: true });
    this.server = server;
    this.endpoint = endpoint;
  }
}

/** A migration file is misnamed, duplicates a version, or cannot be split into statements. */
export class InvalidMigrationFileError extends MigrationError {
  readonly file: string;

  constructor(file: string, reason: string, cause?: unknown) {
    super(`invalid migration file ${file}: ${reason}`, { cause });
    this.file = file;
  }
}

/** An applied migration's file was edited afterwards, so the database no longer matches the repository. */
export class ChecksumMismatchError extends MigrationError {
  readonly file: string;
  readonly version: number;
  readonly recorded: string;
  readonly actual: string;

  constructor(file: string, version: number, recorded: string, actual: string) {
    super(
      `migration ${file} was changed after it was applied (recorded checksum ${recorded.slice(0, 12)}, ` +
        `file now ${actual.slice(0, 12)}): restore the file and add a new migration for the change`,
    );
    this.file = file;
    this.version = version;
    this.recorded = recorded;
    this.actual = actual;
  }
}

/** The target records a version that no file provides (a file was deleted or renamed, or the checkout is older). */
export class MissingMigrationFileError extends MigrationError {
  readonly version: number;
  readonly recordedName: string;

  constructor(where: string, version: number, recordedName: string) {
    super(
      `${where} records migration ${String(version).padStart(4, '0')}_${recordedName} as applied, ` +
        'but no such file exists: restore it, or update this checkout',
    );
    this.version = version;
    this.recordedName = recordedName;
  }
}

/** A statement of a migration file failed; `code` is the PostgreSQL SQLSTATE or the CQL error code when known. */
export class MigrationApplyError extends MigrationError {
  readonly file: string;
  readonly code: string | undefined;

  constructor(file: string, detail: string, cause: unknown, code?: string) {
    super(`migration ${file} failed${detail ? ` ${detail}` : ''}: ${describeCause(cause)}`, { cause });
    this.file = file;
    this.code = code;
  }
}

/** Another run held the migration lock for longer than the allowed wait. */
export class MigrationLockTimeoutError extends MigrationError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause, retryable: true });
  }
}

/** Cassandra nodes did not agree on the schema version within the deadline. */
export class SchemaAgreementError extends MigrationError {
  constructor(message: string) {
    super(message, { retryable: true });
  }
}

/** A Kafka topic could not be created or grown. */
export class TopicMigrationError extends MigrationError {
  readonly topic: string;

  constructor(topic: string, message: string, cause?: unknown) {
    super(`topic ${topic}: ${message}${cause === undefined ? '' : `: ${describeCause(cause)}`}`, { cause });
    this.topic = topic;
  }
}

/** The stack's `postgres.json` endpoint file exists but is not valid. */
export class InvalidEndpointFileError extends MigrationError {
  readonly file: string;

  constructor(file: string, reason: string, cause?: unknown) {
    super(`invalid PostgreSQL endpoint file ${file}: ${reason}`, { cause });
    this.file = file;
  }
}

/** One short line for an unknown thrown value, including a Node error code such as ECONNREFUSED. */
export function describeCause(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) {
    return [...new Set(cause.errors.map(describeCause))].join('; ');
  }
  // cassandra-driver's NoHostAvailableError inlines a full inspect() of each host's error into its message.
  if (cause instanceof Error && 'innerErrors' in cause && isRecord(cause.innerErrors)) {
    const hosts = Object.entries(cause.innerErrors).map(
      ([host, error]) => `${host}: ${describeCause(error)}`,
    );
    if (hosts.length > 0) return `no host answered (${hosts.join('; ')})`;
  }
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    const message = cause.message || cause.name;
    return code && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(cause);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
