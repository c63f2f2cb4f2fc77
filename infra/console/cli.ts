/**
 * `npm run console`: the console on its own, against a stack that is already running (`npm run stack:up`, or
 * another terminal's `npm start`), on CONSOLE_PORT. It prints the page's URL and serves until Ctrl-C. On its
 * own it does not see the functions' logs, so the page shows no function errors and no fetched count; the
 * event sources answer only while an `npm start` runs. The run's names come from the same settings as
 * `npm start` (KAFKA_TOPIC, KAFKA_DLQ_TOPIC, CASSANDRA_KEYSPACE, PIPELINE_PGDATABASE).
 */
import { errorText } from '../../lib/errors.ts';
import { loadStackConfig } from '../local/config.ts';
import { startConsole } from './server.ts';

async function main(): Promise<void> {
  const cfg = loadStackConfig();
  const running = await startConsole({ cfg });
  console.log(
    `[console] topic ${cfg.pipeline.topic}, dead letters ${cfg.pipeline.deadLetterTopic}, keyspace ${cfg.pipeline.keyspace}, database ${cfg.postgres.database}`,
  );
  console.log(`[console] open ${running.url}`);
  console.log("[console] on its own it does not see the functions' logs: run `npm start` for their errors");
  let closing = false;
  const stop = () => {
    if (closing) process.exit(1);
    closing = true;
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
}

main().catch((error: unknown) => {
  console.error(`error: ${errorText(error)}`);
  process.exit(1);
});
