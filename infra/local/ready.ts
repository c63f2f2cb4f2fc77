/**
 * Readies the local stack for use, as `npm start` and the integration tests need it: brings the servers up
 * (reusing running ones) and applies the migrations, logging one line per service and per migration target.
 */
import { formatSummary, migrate } from '../migrations/migrate.ts';
import { pipelineTopics, type StackConfig } from './config.ts';
import { describeUp, type Log, up } from './stack.ts';

/** Brings the stack up and migrates it; `log` receives the progress and summary lines. */
export async function readyStack(cfg: StackConfig, log: Log): Promise<void> {
  const results = await up(cfg, { log: (line) => log(line.trim()) });
  for (const r of results) log(describeUp(r));
  const summary = await migrate(undefined, {
    config: cfg,
    cassandra: { keyspace: cfg.pipeline.keyspace },
    kafka: { topics: pipelineTopics(cfg) },
  });
  for (const line of formatSummary(summary)) log(`migrate: ${line}`);
}
