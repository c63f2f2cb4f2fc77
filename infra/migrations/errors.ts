/**
 * Typed errors of the migration runner, on the repository's base error (lib/errors.ts). Each carries a `code`,
 * its `cause` and a `retryable` flag: a server that is down or a lock held by another run may succeed later;
 * a changed or malformed migration file never will.
 */
import { errorText, PipelineError } from '../../lib/errors.ts';

/** Base class of every error raised by `infra/migrations`. */
export class MigrationError extends PipelineError {
  constructor(message: string, options: { code?: string; cause?: unknown; retryable?: boolean } = {}) {
    super(message, {
      code: options.code ?? 'MIGRATION_ERROR',
      cause: options.cause,
      retryable: options.retryable ?? false,
    });
  }
}

/** A server did not answer: it is down, still starting, or the host/port is wrong. */
export class ServerUnreachableError extends MigrationError {
  readonly server: 'PostgreSQL' | 'Cassandra' | 'Kafka' | 'Schema Registry';
  readonly endpoint: string;

  constructor(server: ServerUnreachableError['server'], endpoint: string, cause: unknown) {
    super(`${server} is not reachable at ${endpoint}: ${errorText(cause)}`, {
      code: 'SERVER_UNREACHABLE',
      cause,
      retryable: true,
    });
    this.server = server;
    this.endpoint = endpoint;
  }
}

/** A migration file is misnamed, duplicates a version, or cannot be split into statements. */
export class InvalidMigrationFileError extends MigrationError {
  readonly file: string;

  constructor(file: string, reason: string, cause?: unknown) {
    super(`invalid migration file ${file}: ${reason}`, { code: 'MIGRATION_FILE_INVALID', cause });
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
      { code: 'MIGRATION_CHECKSUM_MISMATCH' },
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
      { code: 'MIGRATION_FILE_MISSING' },
    );
    this.version = version;
    this.recordedName = recordedName;
  }
}

/**
 * A statement of a migration file failed; `serverCode` is the PostgreSQL SQLSTATE or the CQL error code when
 * known.
 */
export class MigrationApplyError extends MigrationError {
  readonly file: string;
  readonly serverCode: string | undefined;

  constructor(file: string, detail: string, cause: unknown, serverCode?: string) {
    super(`migration ${file} failed${detail ? ` ${detail}` : ''}: ${errorText(cause)}`, {
      code: 'MIGRATION_APPLY_FAILED',
      cause,
    });
    this.file = file;
    this.serverCode = serverCode;
  }
}

/** Another run held the migration lock for longer than the allowed wait. */
export class MigrationLockTimeoutError extends MigrationError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'MIGRATION_LOCK_TIMEOUT', cause, retryable: true });
  }
}

/** Cassandra nodes did not agree on the schema version within the deadline. */
export class SchemaAgreementError extends MigrationError {
  constructor(message: string) {
    super(message, { code: 'CASSANDRA_SCHEMA_DISAGREEMENT', retryable: true });
  }
}

/** A Kafka topic could not be created or grown. */
export class TopicMigrationError extends MigrationError {
  readonly topic: string;

  constructor(topic: string, message: string, cause?: unknown) {
    super(`topic ${topic}: ${message}${cause === undefined ? '' : `: ${errorText(cause)}`}`, {
      code: 'TOPIC_MIGRATION_FAILED',
      cause,
    });
    this.topic = topic;
  }
}

/**
 * The Schema Registry refuses the schema file as the subject's next version under the subject's compatibility
 * rule. `differences` names each field that differs from the registered version; never retryable, since the
 * file or the registry must change.
 */
export class SchemaIncompatibleError extends MigrationError {
  readonly subject: string;
  readonly rule: string;
  readonly differences: ReadonlyArray<{ field: string; change: string }>;
  /** The registry's own reasons, when it gave any. */
  readonly messages: readonly string[];

  constructor(details: {
    subject: string;
    rule: string;
    differences: ReadonlyArray<{ field: string; change: string }>;
    messages: readonly string[];
    detail: string;
  }) {
    super(details.detail, { code: 'SCHEMA_INCOMPATIBLE' });
    this.subject = details.subject;
    this.rule = details.rule;
    this.differences = details.differences;
    this.messages = details.messages;
  }
}
