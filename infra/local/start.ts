/**
 * `npm start`: runs the pipeline on the embedded local stack. Brings the stack up (reusing running servers),
 * applies the migrations, starts the local randomuser API (unless RANDOMUSER_URL is set) and a local
 * PutEvents endpoint (unless EVENTBRIDGE_ENDPOINT is set), then runs `sls offline start` in the foreground
 * with the functions pointed at all of them. Ctrl-C stops serverless-offline and the two local endpoints,
 * and leaves the servers running for the next start.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { resolvePostgres } from '../migrations/endpoints.ts';
import { startRandomUserServer } from '../randomuser/index.ts';
import { loadStackConfig, repoRoot } from './config.ts';
import { StackError } from './errors.ts';
import { startLocalEventBus } from './eventbus.ts';
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
  const randomuser = cfg.randomuser.url
    ? undefined
    : await startRandomUserServer({ host: '127.0.0.1', port: cfg.randomuser.port });
  const bus = cfg.eventBus.endpoint
    ? undefined
    : await startLocalEventBus({
        port: cfg.eventBus.port,
        onEvent: (event) => console.log(`[eventbus] ${event['detail-type']} from ${event.source}`),
      });
  const randomuserUrl = randomuser?.url ?? cfg.randomuser.url;
  const eventBridgeEndpoint = bus?.endpoint ?? cfg.eventBus.endpoint;
  console.log(`[start] randomuser API: ${randomuserUrl}${randomuser ? ' (local)' : ''}`);
  console.log(
    `[start] EventBridge PutEvents: ${eventBridgeEndpoint}${bus ? ' (local; records events, routes none yet)' : ''}`,
  );
  const env = {
    ...process.env,
    PGHOST: pgEndpoint.host,
    PGPORT: String(pgEndpoint.port),
    PGUSER: pgEndpoint.user,
    PIPELINE_PGDATABASE: pgEndpoint.database,
    RANDOMUSER_URL: randomuserUrl,
    EVENTBRIDGE_ENDPOINT: eventBridgeEndpoint,
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
  const code = await new Promise<number>((resolve) => {
    child.on('close', (exitCode, signal) =>
      resolve(exitCode ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)),
    );
  });
  await Promise.all([randomuser?.close(), bus?.close()]);
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof StackError ? `error: ${error.message}` : error);
    process.exit(1);
  },
);
