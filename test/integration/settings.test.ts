/**
 * Every function setting reaches the functions: each is set to a value other than its default, the function
 * runs the way a user runs it, and the settings it parsed (ping logs them at debug level) must equal what
 * functions/lib/settings.ts makes of that environment, with every setting away from its default.
 *
 * `sls invoke local` runs ping with a stack directory that holds no PostgreSQL record, so PGHOST, PGPORT and
 * PGUSER come from the environment as they do on a machine whose stack has not started yet. Nothing is
 * connected to: ping parses its settings and answers.
 *
 * `npm start` runs the functions on its own stack, so the endpoints come from the stack (functionEnv) and the
 * names from the run; every other setting is set to its non-default value, and it must refuse an endpoint
 * setting it would otherwise override.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, settingNames } from '../../functions/lib/settings.ts';
import { invokeFunction } from '../../infra/dev/offline.ts';
import { functionEnv } from '../../infra/local/function-env.ts';
import { portOpen } from '../../infra/local/proc.ts';
import { localStage, ports } from '../../lib/topology.ts';
import { pipelineRun, startPipelineRun } from '../helpers/process.ts';
import { dropRun, eventually, stackConfig, uniqueName } from '../helpers/stack.ts';

const run = promisify(execFile);

import { repoRoot } from '../../lib/paths.ts';

const region = 'eu-central-1';
const arn = (name: string) => `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-AbCdEf`;

/**
 * A value other than the default for every setting, under the names the local stage reads: the database
 * comes from PIPELINE_PGDATABASE (a user's PGDATABASE for psql must not move the pipeline), and STAGE and
 * AWS_REGION from the command (`--stage`, `--region`).
 */
const localEnv: Record<string, string> = {
  LOG_LEVEL: 'DEBUG',
  KAFKA_BROKERS: 'kafka-a.example:9096,kafka-b.example:9096',
  KAFKA_CLIENT_ID: 'settings-test',
  CASSANDRA_CONTACT_POINTS: `cassandra.${region}.amazonaws.com:9142`,
  CASSANDRA_LOCAL_DC: region,
  CASSANDRA_KEYSPACE: 'settings_ks',
  PGHOST: 'db.example',
  PGPORT: '6543',
  PGUSER: 'pipeline_user',
  PIPELINE_PGDATABASE: 'settings_db',
  EVENT_BUS_NAME: 'settings-bus',
  EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:4999',
  RANDOMUSER_URL: 'http://127.0.0.1:4998/api/1.4/',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:4997/apis/ccompat/v7',
  FETCH_TOTAL: '2500',
  FETCH_PAGE_SIZE: '250',
  FETCH_NAT: 'GB,FR',
  FETCH_TIMEOUT_MS: '5000',
  FETCH_MAX_ATTEMPTS: '3',
  FETCH_MAX_RESPONSE_BYTES: '8388608',
  KAFKA_TOPIC: 'settings_topic',
  KAFKA_DLQ_TOPIC: 'settings_topic.dlq',
  KAFKA_MAX_MESSAGE_BYTES: '500000',
  OUTBOX_BATCH_SIZE: '250',
  RELAY_TIME_MARGIN_MS: '2000',
  SINK_CONCURRENCY: '64',
  CASSANDRA_BATCH_SIZE: '10',
  CASSANDRA_WRITE_ATTEMPTS: '5',
  KAFKA_AUTH: 'scram',
  KAFKA_TLS: 'true',
  KAFKA_SCRAM_SECRET_ARN: arn('AmazonMSK_settings'),
  CASSANDRA_AUTH: 'sigv4',
  CASSANDRA_TLS: 'true',
  PGSSLMODE: 'require',
  PG_SECRET_ARN: arn('rds-settings'),
  SECRETS_MAX_AGE_SECONDS: '60',
};

/** The same environment under the functions' own names, as the functions should receive it. */
function functionEnvOf(env: Record<string, string>, awsRegion = region): Record<string, string> {
  const { PIPELINE_PGDATABASE, ...rest } = env;
  return {
    ...rest,
    ...(PIPELINE_PGDATABASE === undefined ? {} : { PGDATABASE: PIPELINE_PGDATABASE }),
    STAGE: localStage,
    AWS_REGION: awsRegion,
  };
}

/**
 * What `npm start` takes from the environment: everything but the endpoints it takes from its stack, the
 * names it takes from the run, and Keyspaces' authentication, which needs Keyspaces' port.
 */
const fromStack = [
  'KAFKA_BROKERS',
  'CASSANDRA_CONTACT_POINTS',
  'CASSANDRA_LOCAL_DC',
  'PGHOST',
  'PGPORT',
  'PGUSER',
];
const fromRun = ['PIPELINE_PGDATABASE', 'KAFKA_TOPIC', 'KAFKA_DLQ_TOPIC', 'CASSANDRA_KEYSPACE'];
const startEnv = Object.fromEntries(
  Object.entries(localEnv).filter(
    ([name]) => !fromStack.includes(name) && !fromRun.includes(name) && name !== 'CASSANDRA_AUTH',
  ),
);
/** serverless-offline's region when `npm start` is given none: serverless.yml's default. */
const offlineRegion = 'eu-west-1';

/** The `settings` of ping's debug log line in a command's output. */
function loggedSettings(output: string): unknown {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry: unknown = JSON.parse(line);
    if (typeof entry === 'object' && entry !== null && 'message' in entry && entry.message === 'ping') {
      return 'settings' in entry ? entry.settings : undefined;
    }
  }
  throw new Error(`ping logged no settings:\n${output}`);
}

let emptyStackDir: string;

beforeAll(async () => {
  emptyStackDir = await mkdtemp(join(tmpdir(), 'settings-test-'));
});

afterAll(async () => {
  await rm(emptyStackDir, { recursive: true, force: true });
});

describe('every function setting reaches the functions', () => {
  it('has a non-default value here for each setting of the schema', () => {
    const wanted = functionEnvOf(localEnv);
    const defaults = parseConfig({});
    const parsed = parseConfig(wanted);

    expect(Object.keys(wanted).sort()).toEqual([...settingNames].sort());
    // Every group of the parsed settings differs from the defaults' (STAGE is the local stage either way).
    for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
      if (key === 'service' || key === 'stage') continue;
      expect(parsed[key], key).not.toEqual(defaults[key]);
    }
  });

  it('under `sls invoke local`', async () => {
    const { stdout } = await run(
      'npx',
      ['sls', 'invoke', 'local', '-f', 'ping', '--region', region, '--data', '{}'],
      {
        cwd: repoRoot,
        timeout: 150_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, ...localEnv, LOCAL_STACK_DIR: emptyStackDir },
      },
    );

    const settings = loggedSettings(stdout);

    expect(settings).toEqual(JSON.parse(JSON.stringify(parseConfig(functionEnvOf(localEnv)))));
  });

  it('under `npm start`, with the endpoints and names of its stack and run', async () => {
    const names = pipelineRun(uniqueName('settings'));
    const start = startPipelineRun(names, {
      ...startEnv,
      FETCH_ON_START: 'false',
      FETCH_SCHEDULE_ENABLED: 'false',
    });
    try {
      await eventually(
        'serverless-offline to serve the Invoke API',
        async () => ((await portOpen('127.0.0.1', ports.offlineLambda)) ? true : undefined),
        150_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${start.output().slice(-4000)}`);
      });
      await invokeFunction('ping', {});
      const settings = await eventually('ping to log its settings', async () => {
        try {
          return loggedSettings(start.output());
        } catch {
          return undefined;
        }
      });

      const stack = functionEnv(stackConfig(), {
        topic: names.topic,
        deadLetterTopic: names.dlq,
        keyspace: names.keyspace,
        database: names.database,
      });
      const wanted = parseConfig({ ...stack, ...functionEnvOf(startEnv, offlineRegion) });
      expect(settings).toEqual(JSON.parse(JSON.stringify(wanted)));
    } finally {
      await start.interrupt();
      await dropRun({ keyspace: names.keyspace, topics: [names.topic, names.dlq], database: names.database });
    }
  });

  it('`npm start` refuses an endpoint setting it would override, naming the stack setting to change', async () => {
    const start = startPipelineRun(pipelineRun(uniqueName('settings')), {
      KAFKA_BROKERS: 'kafka.example:9092',
    });

    const code = await start.exited;

    expect(code).toBe(1);
    expect(start.output()).toContain('npm start runs the functions on the local stack');
    expect(start.output()).toContain('KAFKA_BROKERS=kafka.example:9092');
    expect(start.output()).toContain('KAFKA_PORT');
  });
});
