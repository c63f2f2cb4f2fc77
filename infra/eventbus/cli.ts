/**
 * `npm run eventbus -- <command>`: the local EventBridge from the command line.
 *
 *   serve [--port 4010] [--host 127.0.0.1]   the recording stand-in alone (for `sls invoke local`), until Ctrl-C
 *   status                                   deliveries pending and dead letters of the run's bus
 *   dead-letters [--json]                    every dead letter, with AWS's attributes and the event
 *   redrive --id ID [--id ID ...] | --all    dead letters back to pending, for the same rule target
 *
 * The durable bus lives in the run's database (PIPELINE_PGDATABASE, default `pipeline`), on the server the
 * stack recorded unless LOCAL_EVENTBUS_PGHOST/PGPORT say otherwise, as under `npm start`. A redrive is safe
 * while the bus runs: it is one transaction, and the running bus delivers the re-driven events at its next poll.
 */
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { z } from 'zod';
import { errorText } from '../../lib/errors.ts';
import { ports } from '../../lib/topology.ts';
import { loadStackConfig } from '../local/config.ts';
import { eventBusPostgres } from '../local/endpoints.ts';
import { busPool, describePostgres } from './bus.ts';
import { startLocalEventBus } from './server.ts';
import { busCounts, busSchema, type DeadLetter, listDeadLetters, listPending, redrive } from './store.ts';

const usage = `usage: npm run eventbus -- <command>
  serve [--port ${ports.eventBus}] [--host 127.0.0.1]   run the recording PutEvents stand-in (for sls invoke local)
  status                                   deliveries pending and dead letters of the run's bus
  dead-letters [--json]                    list the dead letters, with their attributes and events
  redrive --id ID [--id ID ...] | --all    move dead letters back to pending for their rule target`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: String(ports.eventBus) },
    host: { type: 'string' },
    json: { type: 'boolean', default: false },
    id: { type: 'string', multiple: true },
    all: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

async function main(): Promise<number> {
  const [command] = positionals;
  if (values.help || command === undefined) {
    console.log(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'serve') return serve();
  if (!['status', 'dead-letters', 'redrive'].includes(command)) {
    console.error(`unknown command "${command}"\n${usage}`);
    return 2;
  }
  const endpoint = eventBusPostgres(loadStackConfig());
  const pool = busPool(endpoint, 2);
  try {
    if (command === 'status') return await status(pool, describePostgres(endpoint));
    if (command === 'dead-letters') return await deadLetters(pool);
    return await redriveCommand(pool);
  } catch (error) {
    // SQLSTATE 42P01, undefined_table: no bus has started on this database, so it holds nothing.
    const never = error instanceof Error && 'code' in error && error.code === '42P01';
    console.error(
      never
        ? `eventbus: no local EventBridge has run on ${describePostgres(endpoint)} yet (no schema ${busSchema}); PIPELINE_PGDATABASE names the run's database`
        : `eventbus: ${errorText(error)} (the bus in ${describePostgres(endpoint)}, schema ${busSchema})`,
    );
    return 1;
  } finally {
    await pool.end();
  }
}

async function serve(): Promise<number> {
  const bus = await startLocalEventBus({
    port: z.coerce.number().int().min(0).max(65535).parse(values.port),
    ...(values.host ? { host: values.host } : {}),
    onEvent: (event) => {
      const detail = z.object({ batchId: z.string().optional() }).loose().safeParse(event.detail);
      console.log(
        `${event.time} ${event['detail-type']} ${detail.success ? (detail.data.batchId ?? '') : ''}`,
      );
    },
  });
  console.log(`eventbus: PutEvents stand-in at ${bus.endpoint} (records events; delivers none)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await bus.close();
  return 0;
}

async function status(pool: pg.Pool, where: string): Promise<number> {
  const counts = await busCounts(pool);
  console.log(
    `bus in ${where} (schema ${busSchema}): ${counts.pending} deliveries pending, ${counts.deadLettered} dead-lettered`,
  );
  for (const row of await listPending(pool, 20)) {
    console.log(
      `  pending ${row.id}: ${row.detailType} ${row.eventId} → ${row.ruleArn}, ${row.attempts} attempts, due ${row.dueAt.toISOString()}${row.lastError ? `, last error ${row.lastError}` : ''}`,
    );
  }
  return 0;
}

async function deadLetters(pool: pg.Pool): Promise<number> {
  const letters = await listDeadLetters(pool);
  if (values.json) {
    console.log(JSON.stringify(letters, null, 2));
    return 0;
  }
  if (letters.length === 0) console.log('no dead letters');
  for (const letter of letters) console.log(formatDeadLetter(letter));
  return 0;
}

async function redriveCommand(pool: pg.Pool): Promise<number> {
  const ids = values.id ?? [];
  if (values.all === ids.length > 0) {
    console.error(`redrive takes --id ID (one or more) or --all\n${usage}`);
    return 2;
  }
  if (ids.some((id) => !/^\d+$/.test(id))) {
    console.error('a dead letter id is a number, as `npm run eventbus -- dead-letters` lists them');
    return 2;
  }
  const moved = await redrive(pool, values.all ? undefined : ids, new Date());
  for (const letter of moved) {
    console.log(
      `[eventbus] redrive: dead letter ${letter.id} (${letter.event['detail-type']} ${letter.eventId}) is pending again for ${letter.attributes.RULE_ARN}`,
    );
  }
  const missing = ids.filter((id) => !moved.some((m) => m.id === id));
  if (missing.length > 0) console.error(`no dead letter ${missing.join(', ')}`);
  if (moved.length === 0 && values.all) console.log('no dead letters to redrive');
  return missing.length > 0 ? 1 : 0;
}

/** A dead letter as the `dead-letters` command prints it: its attributes under AWS's names, then the event. */
function formatDeadLetter(letter: DeadLetter): string {
  const attributes = Object.entries(letter.attributes).map(
    ([name, value]) => `  ${name.padEnd(26)} ${value}`,
  );
  return [
    `dead letter ${letter.id}: ${letter.event['detail-type']} ${letter.eventId}, dead since ${letter.deadAt.toISOString()}`,
    ...attributes,
    `  event ${JSON.stringify(letter.event).slice(0, 300)}`,
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`eventbus: ${errorText(error)}`);
    process.exit(1);
  },
);
