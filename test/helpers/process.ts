/**
 * A command run in its own process group, as a user's terminal runs it: its output is captured, Ctrl-C
 * (SIGINT to the group) stops it the way a user would, and SIGKILL to the group stands in for a crash.
 */
import { spawn } from 'node:child_process';
import { repoRoot } from '../../lib/paths.ts';

/** A running process group. */
export interface GroupProcess {
  pid: number;
  /** Everything it has written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the leader exits. */
  exited: Promise<number | string>;
  /** Ctrl-C: SIGINT to the whole group; resolves with the exit code. */
  interrupt(): Promise<number | string>;
  /** `name` to the whole group, as a terminal or a service manager sends it; resolves with the exit code. */
  signal(name: NodeJS.Signals): Promise<number | string>;
  /** Closes the reading ends of its output, as a terminal that went away: its writes fail from then on. */
  closeOutput(): void;
  /** A crash: SIGKILL to the whole group; resolves once the leader is gone. */
  kill(): Promise<number | string>;
}

/** Starts `command` in a new process group with `env` added to this process's environment. */
export function startGroup(
  command: string,
  args: readonly string[],
  opts: { cwd: string; env?: Record<string, string> },
): GroupProcess {
  const child = spawn(command, [...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  const pid = child.pid;
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // Already gone.
    }
  };
  return {
    pid,
    output: () => text,
    exited,
    interrupt: () => {
      signal('SIGINT');
      return exited;
    },
    signal: (name) => {
      signal(name);
      return exited;
    },
    closeOutput: () => {
      child.stdout.destroy();
      child.stderr.destroy();
    },
    kill: async () => {
      signal('SIGKILL');
      const code = await exited;
      return code;
    },
  };
}

/** The names a private copy of the pipeline runs under: its own topics, keyspace and database. */
export interface PipelineRun {
  topic: string;
  dlq: string;
  keyspace: string;
  database: string;
}

/** A private run's names for `prefix`-unique `run` (a CQL- and SQL-safe identifier). */
export function pipelineRun(run: string): PipelineRun {
  return { topic: `${run}_users`, dlq: `${run}_users.dlq`, keyspace: run, database: run };
}

/**
 * Starts `npm start` (infra/dev/start.ts) in its own process group, on `names`' topics, keyspace and
 * database, with `env` on top. `via: 'npm'` runs the real `npm start` (npm, its shell and tsx above
 * start.ts, as a user's terminal has them); by default start.ts leads the group, so its exit code is the
 * group's.
 */
export function startPipelineRun(
  names: PipelineRun,
  env: Record<string, string>,
  via: 'node' | 'npm' = 'node',
): GroupProcess {
  const [command, args] =
    via === 'npm' ? ['npm', ['start']] : [process.execPath, ['--import', 'tsx', 'infra/dev/start.ts']];
  return startGroup(command, args, {
    cwd: repoRoot,
    env: {
      KAFKA_TOPIC: names.topic,
      KAFKA_DLQ_TOPIC: names.dlq,
      CASSANDRA_KEYSPACE: names.keyspace,
      PIPELINE_PGDATABASE: names.database,
      ...env,
    },
  });
}
