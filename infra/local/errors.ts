/**
 * Errors of the local stack manager, on the repository's base error (lib/errors.ts). Each carries an
 * actionable message; the CLI prints it and exits 1. None is retryable as it stands: each names what to
 * change first (a tool to install, a port to free, a state to reset).
 */
import { PipelineError } from '../../lib/errors.ts';

/** What a {@link StackError} takes besides its message. */
export interface StackErrorOptions {
  cause?: unknown;
  /** Each subclass has a default. */
  code?: string;
}

/** Base class of the stack manager's errors. */
export class StackError extends PipelineError {
  override readonly name: string = 'StackError';
  constructor(message: string, options: StackErrorOptions = {}) {
    super(message, { code: options.code ?? 'STACK_FAILED', cause: options.cause, retryable: false });
  }
}

/** Java, Maven or PostgreSQL binaries are missing or too old. */
export class ToolchainError extends StackError {
  override readonly name = 'ToolchainError';
  constructor(message: string, options: StackErrorOptions = {}) {
    super(message, { code: 'TOOLCHAIN_MISSING', ...options });
  }
}

/** A port the stack needs is held by a process the stack did not start. */
export class PortInUseError extends StackError {
  override readonly name = 'PortInUseError';
  constructor(
    readonly service: string,
    readonly port: number,
    holder: string | undefined,
  ) {
    super(
      `${service}: port ${port} is already in use by another process${holder ? ` (${holder})` : ''}, not one this ` +
        `stack started. Stop that process, or move ${service} to a free port (see infra/local/README.md, "Ports").`,
      { code: 'PORT_IN_USE' },
    );
  }
}

/** A data directory is unreadable or was written by an incompatible server version. */
export class CorruptStateError extends StackError {
  override readonly name = 'CorruptStateError';
  constructor(service: string, detail: string, dir: string) {
    super(
      `${service}: the local state in ${dir} cannot be used: ${detail}.\n` +
        `Run \`npm run stack:reset\` to wipe the local state (it asks first; add -- --yes to skip the question).`,
      { code: 'STATE_CORRUPT' },
    );
  }
}

/** A server did not become healthy in time or exited during start-up. */
export class StartupError extends StackError {
  override readonly name = 'StartupError';
  constructor(message: string, options: StackErrorOptions = {}) {
    super(message, { code: 'STARTUP_FAILED', ...options });
  }
}

/** The stack's record of where PostgreSQL answers (`postgres.json`) exists but is not valid. */
export class InvalidEndpointFileError extends StackError {
  override readonly name = 'InvalidEndpointFileError';
  readonly file: string;

  constructor(file: string, reason: string, cause?: unknown) {
    super(`invalid PostgreSQL endpoint file ${file}: ${reason}`, { code: 'ENDPOINT_FILE_INVALID', cause });
    this.file = file;
  }
}
