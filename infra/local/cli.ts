/**
 * `npm run stack:<command>`: the command line of the no-Docker local stack.
 *
 *   up [--only kafka,cassandra,postgres,registry]   start (or reuse) the servers; prints start times
 *      [--with-spark]                               also the standalone Spark master and worker
 *   down [--only ...]                               stop the servers this stack started
 *   status                                          table of service, pid, port, health, version, uptime, memory
 *   logs [service] [-n 50] [--follow]               log file locations and their last lines
 *   reset [--yes]                                   stop everything and wipe the local state (asks first)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { loadStackConfig, schemaRegistryUrl } from './config.ts';
import { resolvePostgres } from './endpoints.ts';
import { StackError } from './errors.ts';
import { SERVICE_NAMES, type ServiceName } from './services.ts';
import { SPARK_SERVICE_NAMES } from './spark.ts';
import { describeUp, down, logs, reset, status, up } from './stack.ts';
import { formatBytes, formatDuration, renderTable } from './table.ts';

function parseOnly(value: string | undefined): ServiceName[] | undefined {
  if (!value) return undefined;
  const names = value.split(',').map((s) => s.trim());
  const known = [...SERVICE_NAMES, ...SPARK_SERVICE_NAMES];
  for (const name of names) {
    if (!known.includes(name as ServiceName)) {
      throw new StackError(`unknown service "${name}" in --only (expected ${known.join(', ')})`);
    }
  }
  return names as ServiceName[];
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      only: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      lines: { type: 'string', short: 'n', default: '40' },
      follow: { type: 'boolean', short: 'f', default: false },
      'with-spark': { type: 'boolean', default: false },
    },
  });
  const cfg = loadStackConfig();
  switch (command) {
    case 'up': {
      const t0 = performance.now();
      console.log(`local stack in ${cfg.stateDir}`);
      const only =
        parseOnly(values.only) ??
        (values['with-spark'] ? [...SERVICE_NAMES, ...SPARK_SERVICE_NAMES] : undefined);
      const results = await up(cfg, { only, log: (line) => console.log(line) });
      for (const r of results) console.log(`  ${describeUp(r)}`);
      console.log(`stack up in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
      const pgEndpoint = resolvePostgres(cfg);
      console.log(
        `  connect: Kafka ${cfg.kafka.host}:${cfg.kafka.port} | Cassandra ${cfg.cassandra.host}:${cfg.cassandra.port} ` +
          `(dc ${cfg.cassandra.localDataCenter}) | PostgreSQL postgres://${pgEndpoint.user}@${pgEndpoint.host}:` +
          `${pgEndpoint.port}/${pgEndpoint.database} | Schema Registry ${schemaRegistryUrl(cfg)}`,
      );
      if (results.some((r) => r.name === 'spark-master')) {
        console.log(
          `  Spark: master spark://${cfg.spark.host}:${cfg.spark.masterPort} (UI http://${cfg.spark.host}:` +
            `${cfg.spark.masterUiPort}); npm run spark:submit -- --master spark://${cfg.spark.host}:${cfg.spark.masterPort}`,
        );
      }
      return;
    }
    case 'down': {
      for (const r of await down(cfg, { only: parseOnly(values.only) })) {
        console.log(`  ${r.name.padEnd(10)} ${r.outcome}${r.seconds ? ` in ${r.seconds.toFixed(1)}s` : ''}`);
      }
      return;
    }
    case 'status': {
      const rows = await status(cfg);
      console.log(
        renderTable(
          ['service', 'pid', 'port', 'health', 'version', 'uptime', 'rss'],
          rows.map((r) => [
            r.service,
            r.pid === undefined ? (r.managed ? '-' : 'external') : String(r.pid),
            String(r.port),
            r.health,
            r.version,
            r.uptimeMs === undefined ? '-' : formatDuration(r.uptimeMs),
            r.rssBytes === undefined ? '-' : formatBytes(r.rssBytes),
          ]),
        ),
      );
      if (rows.some((r) => r.health !== 'healthy')) process.exitCode = 3;
      return;
    }
    case 'logs': {
      const only = positionals[0] ? parseOnly(positionals[0]) : undefined;
      const entries = logs(cfg, Number(values.lines)).filter((e) => !only || only.includes(e.name));
      if (values.follow) {
        const child = spawn('tail', ['-n', values.lines ?? '40', '-F', ...entries.map((e) => e.file)], {
          stdio: 'inherit',
        });
        await new Promise((resolve) => child.on('close', resolve));
        return;
      }
      for (const e of entries) console.log(`==> ${e.name}: ${e.file} <==\n${e.tail || '(no log yet)'}\n`);
      return;
    }
    case 'reset': {
      if (!values.yes) {
        if (!process.stdin.isTTY)
          throw new StackError('stack:reset deletes all local data; pass --yes to confirm');
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(
          `Delete all Kafka, Cassandra and private PostgreSQL data in ${cfg.stateDir}, and the Schema Registry's ` +
            `database ${cfg.registry.database}? [y/N] `,
        );
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) {
          console.log('nothing deleted');
          return;
        }
      }
      const dropped = await reset(cfg);
      for (const database of dropped) console.log(`  dropped database ${database}`);
      console.log(`local state wiped (${cfg.stateDir}); the jar cache was kept`);
      return;
    }
    default:
      throw new StackError(`unknown command "${command ?? ''}": use up, down, status, logs or reset`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof StackError) console.error(`error: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
