/**
 * The repository's one error kit: the base class every typed error extends, whichever room raises it (the
 * functions, the local stack, the migrations, the event-source plugin, the benchmarks), and the two helpers
 * that turn failures into text: {@link errorText} for anything thrown and {@link describeIssues} for a
 * schema's complaints. Callers branch on `code` and `retryable`, never on message text.
 */

/** What every {@link PipelineError} carries besides its message. */
export interface PipelineErrorOptions {
  /** A stable, machine-readable code, e.g. `CONFIG_INVALID` or `KAFKA_TOOL_EXIT`. */
  code: string;
  /** Whether the same operation may succeed if it is tried again. */
  retryable: boolean;
  /** The underlying error, kept for logs and debugging. */
  cause?: unknown;
}

/** The base class of every typed error in the repository: a stable `code`, a `retryable` flag and the `cause`. */
export class PipelineError extends Error {
  /** The class's own name, unless a subclass sets another. */
  override readonly name: string;
  /** A stable, machine-readable code for callers to branch on. */
  readonly code: string;
  /** Whether the same operation may succeed if it is tried again. */
  readonly retryable: boolean;

  /**
   * @param message - what went wrong, for humans
   * @param options - the `code`, whether it is `retryable`, and the `cause`
   */
  constructor(message: string, options: PipelineErrorOptions) {
    // Only when given, so errors without one carry no `cause: undefined` in logs.
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.retryable = options.retryable;
  }
}

/**
 * One line of text for anything thrown: an Error's message, with a system error's `code` when the message
 * does not already say it (Node's AggregateError for a refused connection has an empty message and the
 * reason only in its parts), each part of an AggregateError once, and each host of a cassandra-driver
 * `NoHostAvailableError` by name; anything else as `String(value)`.
 */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(errorText))].join('; ');
  }
  // cassandra-driver's NoHostAvailableError inlines a full inspect() of each host's error into its message.
  if (error instanceof Error && 'innerErrors' in error && isRecord(error.innerErrors)) {
    const hosts = Object.entries(error.innerErrors).map(([host, inner]) => `${host}: ${errorText(inner)}`);
    if (hosts.length > 0) return `no host answered (${hosts.join('; ')})`;
  }
  if (error instanceof Error) {
    const message = error.message || error.name;
    // A typed error's code is a field of its own in every log line; a system error's is often its only reason.
    if (error instanceof PipelineError) return message;
    const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
    return code && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** One complaint of a schema, as zod reports it. */
export interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * Every issue with its path on one line, e.g. `results[3].login.uuid: Invalid UUID; PGPORT: Too big`, for error
 * messages and logs. An issue about the whole value prints as its message alone.
 *
 * @param source - a zod error, or its issues
 */
export function describeIssues(source: readonly Issue[] | { readonly issues: readonly Issue[] }): string {
  const issues: readonly Issue[] = 'issues' in source ? source.issues : source;
  return issues
    .map((issue) => {
      const path = issue.path
        .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
        .join('');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Socket-level failures' codes: the peer is down, unreachable or gone mid-request. */
export const networkCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether a thrown value is a socket-level failure (refused, reset, timed out, unresolvable), by its `code`. */
export function isNetworkError(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    networkCodes.has(error.code)
  );
}
