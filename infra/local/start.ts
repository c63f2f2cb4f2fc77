/**
 * `npm start`: runs the pipeline on the embedded local stack. Brings the stack up (reusing running servers),
 * applies the migrations, then runs `sls offline start` in the foreground with the functions pointed at the
 * stack. Ctrl-C stops serverless-offline and leaves the servers running for the next start.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { resolvePostgres } from '../migrations/endpoints.ts';
import { loadStackConfig, repoRoot } from './config.ts';
import { StackError } from './errors.ts';
import { readyStack } from './ready.ts';

async function main(): Promise<number> {
  const cfg = loadStackConfig();
  const t0 = performance.now();
  console.log(`[start] local stack in ${cfg.stateDir}`);
  await readyStack(cfg, (line) => console.log(`[start] ${line}`));
  console.log(
    `[start] stack ready in ${((performance.now() - t0) / 1000).toFixed(1)}s; starting serverless-offline`,
  );

  // The functions read PostgreSQL's address from their environment; the stack may have chosen a private
  // cluster on another port, so pass on what it recorded.
  const pgEndpoint = resolvePostgres(cfg);
  const env = {
    ...process.env,
    PGHOST: pgEndpoint.host,
    PGPORT: String(pgEndpoint.port),
    PGUSER: pgEndpoint.user,
    PIPELINE_PGDATABASE: pgEndpoint.database,
  };
  const sls = join(repoRoot, 'node_modules', '.bin', 'sls');
  const child = spawn(sls, ['offline', 'start', ...process.argv.slice(2)], {
    cwd: repoRoot,
    env,
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('close', (code, signal) =>
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)),
    );
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof StackError ? `error: ${error.message}` : error);
    process.exit(1);
  },
);
