/** Errors of the local stack manager. Each carries an actionable message; the CLI prints it and exits 1. */
export class StackError extends Error {
  override readonly name: string = 'StackError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Java, Maven or PostgreSQL binaries are missing or too old. */
export class ToolchainError extends StackError {
  override readonly name = 'ToolchainError';
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
        `stack started. Stop that process, or move ${service} to a free port (see README, "Ports").`,
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
    );
  }
}

/** A server did not become healthy in time or exited during start-up. */
export class StartupError extends StackError {
  override readonly name = 'StartupError';
}
