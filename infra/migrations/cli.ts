/**
 * `npm run migrate [-- options]`: applies the migrations to the local stack and prints one line per target.
 * Exits 0 when everything is up to date, 1 when a target failed, 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { cassandra } from '../../lib/topology.ts';
import { loadStackConfig, type StackConfig } from '../local/config.ts';
import {
  formatSummary,
  type MigrateOptions,
  MigrationFailedError,
  type MigrationTarget,
  migrate,
  migrationTargets,
  parseTargets,
  ServerUnreachableError,
} from './migrate.ts';
import { kafkaTopics } from './topics.ts';

const usage = `Usage: npm run migrate -- [options]

  --only <targets>       comma-separated subset of ${migrationTargets.join(',')} (default: all)
  --database <name>      PostgreSQL database to migrate (default: from the stack config)
  --keyspace <name>      Cassandra keyspace to migrate (default: ${cassandra.keyspace})
  --topic-prefix <text>  prefix for every Kafka topic name, and so for the registry subject (default: none)
  --verbose              print each step
  --json                 print the summary as JSON
  --help                 show this help
`;

const hints: Record<ServerUnreachableError['server'], string> = {
  PostgreSQL: 'start the local stack with `npm run stack:up`, or set PGHOST/PGPORT',
  Cassandra:
    'start the local stack with `npm run stack:up` (Cassandra takes up to a minute), or set CASSANDRA_PORT',
  Kafka: 'start the local stack with `npm run stack:up`, or set KAFKA_PORT',
  'Schema Registry':
    'start the local stack with `npm run stack:up`, or set REGISTRY_PORT; `--only postgres,cassandra,kafka` leaves the registry out',
};

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  let targets: MigrationTarget[];
  try {
    args = parse(argv);
    targets = args.only === undefined ? [...migrationTargets] : parseTargets(args.only);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(usage);
    return 0;
  }

  let config: StackConfig;
  try {
    config = loadStackConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const options: MigrateOptions = {
    config,
    ...(args.database ? { postgres: { database: args.database } } : {}),
    ...(args.keyspace ? { cassandra: { keyspace: args.keyspace } } : {}),
    ...(args['topic-prefix']
      ? { kafka: { topics: kafkaTopics.map((t) => ({ ...t, topic: `${args['topic-prefix']}${t.topic}` })) } }
      : {}),
    ...(args.verbose ? { log: (target, message) => process.stderr.write(`${target}: ${message}\n`) } : {}),
  };

  try {
    const summary = await migrate(targets, options);
    process.stdout.write(
      args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary).join('\n')}\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof MigrationFailedError)) throw error;
    const done = formatSummary(error.summary);
    if (done.length > 0) process.stdout.write(`${done.join('\n')}\n`);
    for (const { target, error: cause } of error.failures) {
      const message = cause instanceof Error ? cause.message : String(cause);
      const hint = cause instanceof ServerUnreachableError ? `\n  hint: ${hints[cause.server]}` : '';
      process.stderr.write(`${target.padEnd(10)} FAILED: ${message}${hint}\n`);
    }
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      only: { type: 'string' },
      database: { type: 'string' },
      keyspace: { type: 'string' },
      'topic-prefix': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
}

process.exitCode = await main(process.argv.slice(2));
