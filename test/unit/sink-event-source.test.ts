/**
 * sink-users' event source is configured once: the local stage's `kafka` event (which infra/offline-kafka
 * emulates) and the AWS stage's `msk` event (which it compiles into the EventSourceMapping) take every
 * mapping key from the same `SINK_*` parameter of params.default. Read statically from serverless.yml, like
 * serverless-params.test.ts; `sinkEventMismatches` reports each disagreement, and the last block feeds it
 * edited copies of the file to show that it catches drift. test/integration/deploy.test.ts checks what AWS is
 * given in the compiled template.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { repoRoot } from '../../lib/paths.ts';

const yamlText = readFileSync(join(repoRoot, 'serverless.yml'), 'utf8');

const eventOptions = z.record(z.string(), z.unknown());
const sinkEvents = (type: 'kafka' | 'msk') => z.array(z.object({ [type]: eventOptions })).length(1);
const serverlessSchema = z.object({
  params: z.object({
    default: z.record(z.string(), z.unknown()),
    local: z.object({ SINK_USERS_EVENTS: sinkEvents('kafka') }).loose(),
    prod: z.object({ SINK_USERS_EVENTS: sinkEvents('msk') }).loose(),
  }),
});

/** The mapping keys both stages set, each from its `SINK_*` parameter; the local stage may read two from the environment. */
const sharedKeys: Record<string, { param: string; localEnv?: boolean }> = {
  batchSize: { param: 'SINK_BATCH_SIZE', localEnv: true },
  maximumBatchingWindow: { param: 'SINK_BATCHING_WINDOW', localEnv: true },
  startingPosition: { param: 'SINK_STARTING_POSITION' },
  provisionedPollerConfig: { param: 'SINK_POLLERS' },
  maximumRetryAttempts: { param: 'SINK_MAX_RETRY_ATTEMPTS' },
  maximumRecordAgeInSeconds: { param: 'SINK_MAX_RECORD_AGE' },
  bisectBatchOnFunctionError: { param: 'SINK_BISECT_ON_ERROR' },
  onFailureDestination: { param: 'SINK_ON_FAILURE' },
  metricsConfig: { param: 'SINK_METRICS' },
  loggingConfig: { param: 'SINK_LOGGING' },
};

/**
 * Keys only the AWS stage sets, until the local source emulates them (issue 16, item 4): the schema registry,
 * whose URL and secret are per account. The local stage's event must not have a key of its own beyond these
 * and its connection.
 */
const awsOnly = new Set(['arn', 'schemaRegistryConfig']);
const localOnly = new Set(['accessConfigurations', 'bootstrapServers']);

/** Every way the two stages' sink events disagree, or leave params.default; empty when none. */
function sinkEventMismatches(text: string): string[] {
  const yml = serverlessSchema.parse(parse(text));
  const local = yml.params.local.SINK_USERS_EVENTS[0]?.kafka ?? {};
  const prod = yml.params.prod.SINK_USERS_EVENTS[0]?.msk ?? {};
  const problems: string[] = [];

  for (const [key, { param, localEnv }] of Object.entries(sharedKeys)) {
    const ref = `\${param:${param}}`;
    if (!(param in yml.params.default)) problems.push(`params.default has no ${param}`);
    if (prod[key] !== ref) problems.push(`params.prod's msk event: ${key} must be ${ref}`);
    const localRef = localEnv ? `\${env:${param}, param:${param}}` : ref;
    if (local[key] !== localRef) problems.push(`params.local's kafka event: ${key} must be ${localRef}`);
  }
  for (const key of Object.keys(prod)) {
    if (!(key in sharedKeys) && !awsOnly.has(key) && key !== 'topic' && key !== 'consumerGroupId') {
      problems.push(`params.prod's msk event sets ${key}, which the local event does not share`);
    }
  }
  for (const key of Object.keys(local)) {
    if (!(key in sharedKeys) && !localOnly.has(key) && key !== 'topic' && key !== 'consumerGroupId') {
      problems.push(`params.local's kafka event sets ${key}, which the msk event does not share`);
    }
  }
  for (const key of ['topic', 'consumerGroupId']) {
    if (local[key] !== prod[key]) problems.push(`the two events differ in ${key}`);
  }
  // The dead-letter topic of each stage is the event source's on-failure destination.
  const deadLetterTopic = `kafka://\${param:KAFKA_DLQ_TOPIC}`;
  if (yml.params.default.SINK_ON_FAILURE !== deadLetterTopic) {
    problems.push(`params.default.SINK_ON_FAILURE must be ${deadLetterTopic}`);
  }
  return problems;
}

describe("sink-users' event source in serverless.yml", () => {
  it('takes every mapping key of both stages from one parameter', () => {
    expect(sinkEventMismatches(yamlText)).toEqual([]);
  });

  describe('catches drift', () => {
    it.each([
      [
        'a value written into one stage only',
        `          loggingConfig: \${param:SINK_LOGGING}\n          # The mapping`,
        `          loggingConfig: { systemLogLevel: INFO }\n          # The mapping`,
        /params.prod's msk event: loggingConfig must be \$\{param:SINK_LOGGING\}/,
      ],
      [
        'a key on the local event only',
        `          loggingConfig: \${param:SINK_LOGGING}\n  # AWS.`,
        `          loggingConfig: \${param:SINK_LOGGING}\n          functionResponseType: ReportBatchItemFailures\n  # AWS.`,
        /params.local's kafka event sets functionResponseType/,
      ],
      [
        'an on-failure destination other than the dead-letter topic',
        `SINK_ON_FAILURE: kafka://\${param:KAFKA_DLQ_TOPIC}`,
        'SINK_ON_FAILURE: kafka://failures',
        /SINK_ON_FAILURE must be/,
      ],
    ])('%s', (_what, from, to, reported) => {
      expect(yamlText).toContain(from);

      const problems = sinkEventMismatches(yamlText.replace(from, to));

      expect(problems.join('\n')).toMatch(reported);
    });
  });
});
