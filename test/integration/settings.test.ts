/**
 * Every function setting reaches the functions: each is set to a value other than its default, the function
 * runs the way a user runs it, and the settings it parsed (ping logs them at debug level) must equal what
 * functions/lib/settings.ts makes of that environment, with every setting away from its default.
 *
 * `sls invoke local` runs ping with a stack directory that holds no PostgreSQL record, so PGHOST, PGPORT and
 * PGUSER come from the environment as they do on a machine whose stack has not started yet. Nothing is
 * connected to: ping parses its settings and answers.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, settingNames } from '../../functions/lib/settings.ts';
import { localStage } from '../../lib/topology.ts';

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
function functionEnvOf(env: Record<string, string>): Record<string, string> {
  const { PIPELINE_PGDATABASE, ...rest } = env;
  return { ...rest, PGDATABASE: PIPELINE_PGDATABASE ?? '', STAGE: localStage, AWS_REGION: region };
}

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
});
