/**
 * `npm run spark:submit -- [options]`: builds the Spark job if its sources changed, then runs its driver in the
 * foreground against the local stack, on `local[2]` unless `--master spark://127.0.0.1:7077` (the Master of
 * `npm run stack:up -- --with-spark`). Every option is the job's own (see `--help`); the checkpoint defaults
 * to `.local/spark/checkpoints/<topic>`. Ctrl-C stops the job; the next run resumes from its checkpoint.
 */
import { spawn } from 'node:child_process';
import { loadStackConfig } from '../local/config.ts';
import { StackError } from '../local/errors.ts';
import { prepareJob, submitOptions } from './job.ts';

async function main(argv: string[]): Promise<number> {
  const cfg = loadStackConfig();
  const { command, args, env, checkpoint } = await prepareJob(cfg, submitOptions(argv), (line) =>
    console.error(line),
  );
  console.error(`checkpoint: ${checkpoint}`);
  const child = spawn(command, args, { env, stdio: 'inherit' });
  // The JVM is in our process group and gets Ctrl-C itself; a SIGTERM to npm is passed on.
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  process.on('SIGINT', () => undefined);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StackError) console.error(`error: ${error.message}`);
    else console.error(error);
    process.exit(1);
  },
);
