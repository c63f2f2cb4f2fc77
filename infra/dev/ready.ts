/**
 * Readies the local stack for use, as `npm start` and the integration tests need it: brings the servers up
 * (reusing running ones) and applies the migrations, logging one line per service and per migration target.
 */
import { defaultDatabase, type StackConfig } from '../local/config.ts';
import { describeUp, type Log, up } from '../local/stack.ts';
import { formatSummary, migrate } from '../migrations/migrate.ts';
import { pipelineTopics } from '../migrations/topics.ts';

/** Brings the stack up and migrates it; `log` receives the progress and summary lines. */
export async function readyStack(cfg: StackConfig, log: Log): Promise<void> {
  // `.local/postgres.json` tells every client where the server is, so `up` records the default database
  // there; a run's own database (PIPELINE_PGDATABASE, as the end-to-end tests use) is created by the
  // migrations below and handed to that run's functions, without pointing everyone else at it.
  const results = await up(
    { ...cfg, postgres: { ...cfg.postgres, database: defaultDatabase } },
    { log: (line) => log(line.trim()) },
  );
  for (const r of results) log(describeUp(r));
  const summary = await migrate(undefined, {
    config: cfg,
    postgres: { database: cfg.postgres.database },
    cassandra: { keyspace: cfg.pipeline.keyspace },
    kafka: { topics: pipelineTopics(cfg) },
  });
  for (const line of formatSummary(summary)) log(`migrate: ${line}`);
}
