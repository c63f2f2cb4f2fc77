/**
 * serverless.yml against the two sources it must agree with, read statically (no `sls` run): the functions'
 * settings schema (functions/lib/settings.ts), whose every setting must reach the functions on every stage,
 * and the topology (lib/topology.ts), whose names and ports the local stage spells out as literals because
 * YAML cannot import them. `serverlessMismatches` reports each disagreement as one line; the last block feeds
 * it edited copies of the file to show that it catches drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { settingNames, settingRows } from '../../functions/lib/settings.ts';
import { stackSettingRows } from '../../infra/local/config.ts';
import { repoRoot } from '../../lib/paths.ts';
import {
  cassandra,
  localRandomuserUrl,
  ports,
  postgresDatabase,
  schemaRegistryCompatPath,
  serviceName,
  topics,
} from '../../lib/topology.ts';

const yamlText = readFileSync(join(repoRoot, 'serverless.yml'), 'utf8');

const stringMap = z.record(z.string(), z.unknown());
const serverlessSchema = z.object({
  service: z.string(),
  params: z.object({ default: stringMap, local: stringMap }).catchall(stringMap),
  provider: z.object({ environment: z.record(z.string(), z.string()) }),
  custom: z.object({
    'serverless-offline': z.object({ httpPort: z.number(), lambdaPort: z.number() }),
    offlineEventBridge: z.object({
      port: z.string(),
      postgres: z.object({ host: z.string(), port: z.string(), user: z.string(), database: z.string() }),
    }),
    offlineKafka: z.object({ brokers: z.array(z.string()), controlPort: z.string() }),
  }),
});

/** Settings whose local value differs from their default on purpose. */
const localOnly = new Set([
  // The local stage logs at debug level, every other stage at the schema's INFO.
  'LOG_LEVEL',
]);

/** Lambda sets it and refuses it as a function variable; serverless-offline sets it too. */
const setByRuntime = new Set(['AWS_REGION']);

/** `${env:NAME, 'fallback'}` → its parts; anything else → undefined. */
function envReference(value: unknown): { name: string; fallback: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\$\{env:([A-Z0-9_]+), '([^']*)'\}$/.exec(value);
  return match?.[1] === undefined ? undefined : { name: match[1], fallback: match[2] ?? '' };
}

/**
 * The port a local endpoint falls back to through a port variable, e.g. 9092 in
 * `${env:KAFKA_BROKERS, '127.0.0.1:${env:KAFKA_PORT, "9092"}'}` or `127.0.0.1:${env:KAFKA_PORT, '9092'}`.
 */
function portFallback(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /\$\{env:[A-Z_]+_PORT, ["'](\d+)["']\}/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Every way `text` (a serverless.yml) disagrees with the settings schema and the topology; empty when none. */
function serverlessMismatches(text: string): string[] {
  const yml = serverlessSchema.parse(parse(text));
  const problems: string[] = [];
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const env = yml.provider.environment;
  const local = yml.params.local;

  expect(yml.service === serviceName, `service is ${yml.service}, not ${serviceName}`);
  for (const name of settingNames) {
    if (setByRuntime.has(name)) {
      expect(!(name in env), `provider.environment sets ${name}, which the runtime sets`);
      continue;
    }
    const value = env[name];
    if (name === 'STAGE') {
      expect(value === `\${sls:stage}`, `provider.environment.STAGE must be \${sls:stage}`);
      continue;
    }
    expect(
      value?.startsWith(`\${param:${name}`) === true,
      `provider.environment.${name} must be \${param:${name}...}, so every stage can set it`,
    );
    expect(
      name in local || name in yml.params.default,
      `params.local has no ${name}: the local stage cannot set it`,
    );
  }
  for (const name of Object.keys(env)) {
    expect(
      settingNames.includes(name as (typeof settingNames)[number]) || name === 'NODE_EXTRA_CA_CERTS',
      `provider.environment.${name} is not a setting of functions/lib/settings.ts`,
    );
  }

  // The local stage's literal fallbacks are the topology's names and ports.
  const fallbacks: Array<[string, string]> = [
    ['KAFKA_TOPIC', topics.usersCreated.name],
    ['KAFKA_DLQ_TOPIC', topics.deadLetter.name],
    ['CASSANDRA_KEYSPACE', cassandra.keyspace],
    ['EVENTBRIDGE_ENDPOINT', `http://127.0.0.1:${ports.eventBus}`],
  ];
  for (const [name, wanted] of fallbacks) {
    const ref = envReference(local[name]);
    expect(ref?.name === name, `params.local.${name} must pass \${env:${name}} through`);
    expect(ref?.fallback === wanted, `params.local.${name} falls back to ${ref?.fallback}, not ${wanted}`);
  }
  const defaults: Array<[string, string]> = [
    ['KAFKA_TOPIC', topics.usersCreated.name],
    ['KAFKA_DLQ_TOPIC', topics.deadLetter.name],
    ['CASSANDRA_KEYSPACE', cassandra.keyspace],
    ['PGDATABASE', postgresDatabase],
  ];
  for (const [name, wanted] of defaults) {
    expect(yml.params.default[name] === wanted, `params.default.${name} is not ${wanted}`);
  }
  expect(
    envReference(local.CASSANDRA_LOCAL_DC)?.fallback === cassandra.localDataCenter,
    `params.local.CASSANDRA_LOCAL_DC must fall back to ${cassandra.localDataCenter}`,
  );
  expect(
    portFallback(local.KAFKA_BROKERS) === ports.kafka,
    `params.local.KAFKA_BROKERS: port ${ports.kafka}`,
  );
  expect(
    portFallback(local.SCHEMA_REGISTRY_URL) === ports.registry &&
      typeof local.SCHEMA_REGISTRY_URL === 'string' &&
      local.SCHEMA_REGISTRY_URL.startsWith('${env:SCHEMA_REGISTRY_URL, ') &&
      local.SCHEMA_REGISTRY_URL.endsWith(`${schemaRegistryCompatPath}'}`),
    `params.local.SCHEMA_REGISTRY_URL: the stack's registry on port ${ports.registry}, under ${schemaRegistryCompatPath}`,
  );
  expect(
    portFallback(local.CASSANDRA_CONTACT_POINTS) === ports.cassandra,
    `params.local.CASSANDRA_CONTACT_POINTS: port ${ports.cassandra}`,
  );
  expect(
    typeof local.PGPORT === 'string' && local.PGPORT.endsWith(`'${ports.postgres}'}`),
    `params.local.PGPORT: port ${ports.postgres}`,
  );
  expect(
    typeof local.PGDATABASE === 'string' && local.PGDATABASE.endsWith(`'${postgresDatabase}'}`),
    `params.local.PGDATABASE: ${postgresDatabase}`,
  );
  // Unset, RANDOMUSER_URL means the local API: the schema's default must be that API.
  expect(
    envReference(local.RANDOMUSER_URL)?.fallback === '',
    'params.local.RANDOMUSER_URL must default to unset',
  );
  expect(localRandomuserUrl.includes(`:${ports.randomuser}/`), 'the local randomuser URL uses its port');

  // Every `${env:NAME, 'fallback'}` that names a setting falls back to that setting's default, so the local
  // stage and the schemas agree on what "unset" means. `${env:NAME, param:NAME}` falls back to the value every
  // stage shares, params.default's, which must then be that default.
  const schemaDefaults = new Map(
    [...settingRows(), ...stackSettingRows()].map((row) => [row.name, row.defaultValue] as const),
  );
  for (const match of text.matchAll(/\$\{env:([A-Z0-9_]+), ["']?([^"'},]*)["']?\}/g)) {
    const [, name = '', written = ''] = match;
    const wanted = schemaDefaults.get(name);
    const shared = written === `param:${name}`;
    const fallback = shared ? String(yml.params.default[name]) : written;
    if (wanted === undefined || fallback === '' || fallback.includes('$') || localOnly.has(name)) continue;
    expect(
      fallback === wanted,
      shared
        ? `params.default.${name} is ${fallback}, but ${name}'s default is ${wanted}`
        : `serverless.yml falls back to ${fallback} for ${name}, whose default is ${wanted}`,
    );
  }

  const offline = yml.custom['serverless-offline'];
  expect(offline.httpPort === ports.offlineHttp, `serverless-offline.httpPort is not ${ports.offlineHttp}`);
  expect(
    offline.lambdaPort === ports.offlineLambda,
    `serverless-offline.lambdaPort is not ${ports.offlineLambda}`,
  );
  const bus = yml.custom.offlineEventBridge;
  expect(portFallback(bus.port) === ports.eventBus, `the local EventBridge's port is not ${ports.eventBus}`);
  // The bus keeps its events in the run's database on the functions' server, unless its own variables move it.
  const pg = bus.postgres;
  const overridable = (name: string, functions: unknown) =>
    typeof functions === 'string' && functions.startsWith('${')
      ? `\${env:${name}, ${functions.slice(2)}`
      : '';
  expect(
    pg.host === overridable('LOCAL_EVENTBUS_PGHOST', local.PGHOST),
    'offlineEventBridge.postgres.host must be LOCAL_EVENTBUS_PGHOST, then params.local.PGHOST',
  );
  expect(
    pg.port === overridable('LOCAL_EVENTBUS_PGPORT', local.PGPORT),
    'offlineEventBridge.postgres.port must be LOCAL_EVENTBUS_PGPORT, then params.local.PGPORT',
  );
  expect(pg.user === local.PGUSER, 'offlineEventBridge.postgres.user must be params.local.PGUSER');
  expect(
    pg.database === local.PGDATABASE,
    "offlineEventBridge.postgres.database must be params.local.PGDATABASE: the run's database",
  );
  expect(
    yml.custom.offlineKafka.brokers.every((broker) => portFallback(broker) === ports.kafka),
    `offlineKafka.brokers must use port ${ports.kafka}`,
  );
  expect(
    portFallback(yml.custom.offlineKafka.controlPort) === ports.offlineEventSources,
    `offlineKafka.controlPort must fall back to port ${ports.offlineEventSources}`,
  );
  return problems;
}

describe('serverless.yml', () => {
  it('passes every function setting to every stage and spells the topology as lib/topology.ts does', () => {
    expect(serverlessMismatches(yamlText)).toEqual([]);
  });

  describe('catches drift', () => {
    it.each([
      [
        'a setting left out of the environment',
        `    FETCH_NAT: \${param:FETCH_NAT, ''}\n`,
        '',
        /FETCH_NAT must be/,
      ],
      [
        'a setting the local stage cannot set',
        `    FETCH_NAT: \${env:FETCH_NAT, ''}\n`,
        '',
        /params.local has no FETCH_NAT/,
      ],
      [
        'another default topic',
        `\${env:KAFKA_TOPIC, 'users_created'}`,
        `\${env:KAFKA_TOPIC, 'users'}`,
        /KAFKA_TOPIC falls back/,
      ],
      ['another Lambda port', 'lambdaPort: 3002', 'lambdaPort: 3003', /lambdaPort is not 3002/],
      [
        "the bus in a database other than the run's",
        `database: \${env:PIPELINE_PGDATABASE, file(`,
        `database: \${env:BUS_DATABASE, file(`,
        /offlineEventBridge.postgres.database must be/,
      ],
      [
        'another sink batch size',
        'SINK_BATCH_SIZE: 100\n',
        'SINK_BATCH_SIZE: 50\n',
        /params.default.SINK_BATCH_SIZE is 50, but SINK_BATCH_SIZE's default is 100/,
      ],
      [
        'another Kafka port',
        `\${env:KAFKA_PORT, "9092"}`,
        `\${env:KAFKA_PORT, "9093"}`,
        /KAFKA_BROKERS: port 9092/,
      ],
      [
        'another port for the event-source-mapping API',
        `\${env:LOCAL_EVENT_SOURCES_PORT, '3004'}`,
        `\${env:LOCAL_EVENT_SOURCES_PORT, '3005'}`,
        /offlineKafka.controlPort must fall back to port 3004/,
      ],
    ])('%s', (_what, from, to, reported) => {
      expect(yamlText).toContain(from);

      const problems = serverlessMismatches(yamlText.replace(from, to));

      expect(problems.join('\n')).toMatch(reported);
    });
  });
});
