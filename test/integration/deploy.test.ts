/**
 * The AWS stage, checked offline: `sls package --stage prod` with placeholder parameters builds the real
 * CloudFormation template and the real bundles, with no AWS account. The assertions read the generated
 * template (event-source mapping, schedules and rules, the EventBridge hop's retries and dead-letter queues,
 * per-function roles, secrets, limits) and the zips (sizes, and which packages each bundle holds). Nothing here
 * needs the local stack.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repoRoot } from '../../lib/paths.ts';
import { readZip } from '../helpers/zip.ts';

const run = promisify(execFile);
const cliTimeoutMs = 240_000;

const account = '123456789012';
const region = 'eu-west-1';
const clusterArn = `arn:aws:kafka:${region}:${account}:cluster/pipeline-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-1`;
const secretArn = `arn:aws:secretsmanager:${region}:${account}:secret:rds-pipeline-AbCdEf`;
const registryUrl = 'https://registry.pipeline.example.com/apis/ccompat/v7';
const registrySecretArn = `arn:aws:secretsmanager:${region}:${account}:secret:schema-registry-GhIjKl`;
/** The placeholder parameters docs/deploy.md asks for, in the same names. */
const placeholders: Record<string, string> = {
  MSK_CLUSTER_ARN: clusterArn,
  KAFKA_BROKERS: `b-1.pipeline-msk.abc123.c2.kafka.${region}.amazonaws.com:9098,b-2.pipeline-msk.abc123.c2.kafka.${region}.amazonaws.com:9098`,
  SUBNET_IDS: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
  PGHOST: `pipeline.cluster-abc123.${region}.rds.amazonaws.com`,
  PGUSER: 'pipeline',
  PG_SECRET_ARN: secretArn,
  SCHEMA_REGISTRY_URL: registryUrl,
  SCHEMA_REGISTRY_SECRET_ARN: registrySecretArn,
};
// Put in the CLI's environment: nothing in serverless.yml may carry it into the template or a bundle.
const planted = 'planted-Passw0rd-9f8e7d';

function paramFlags(params: Record<string, string>): string[] {
  return Object.entries(params).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
}

/** Runs `npx sls <args>`; resolves with its output, or rejects with the CLI's error (stdout and stderr). */
async function sls(args: string[]): Promise<string> {
  const { stdout } = await run('npx', ['sls', ...args], {
    cwd: repoRoot,
    timeout: cliTimeoutMs,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, PGPASSWORD: planted, AWS_SECRET_ACCESS_KEY: planted },
  });
  return stdout;
}

/** The combined output of a failed CLI run. */
async function slsFailure(args: string[]): Promise<string> {
  try {
    await sls(args);
  } catch (error) {
    const out = z.object({ stdout: z.string(), stderr: z.string() }).safeParse(error);
    return out.success ? `${out.data.stdout}\n${out.data.stderr}` : String(error);
  }
  throw new Error(`sls ${args.join(' ')} succeeded`);
}

const resourceSchema = z.object({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).optional(),
});
const templateSchema = z.object({
  Resources: z.record(z.string(), resourceSchema),
  Parameters: z.record(z.string(), z.object({ Default: z.string().optional() }).loose()).optional(),
  Outputs: z.record(z.string(), z.object({ Value: z.unknown() })).optional(),
});
type Template = z.infer<typeof templateSchema>;

/**
 * Evaluates the intrinsic functions the template uses for ARNs (Ref of parameters and pseudo parameters,
 * Fn::Join, Fn::Split, Fn::Select, Fn::GetAtt), so assertions compare the ARNs CloudFormation will produce.
 */
function evaluate(template: Template, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => evaluate(template, v));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length !== 1 || key === undefined || (!key.startsWith('Fn::') && key !== 'Ref')) {
    return Object.fromEntries(entries.map(([k, v]) => [k, evaluate(template, v)]));
  }
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::AccountId': account,
  };
  switch (key) {
    case 'Ref': {
      const name = String(arg);
      return pseudo[name] ?? template.Parameters?.[name]?.Default ?? `Ref:${name}`;
    }
    case 'Fn::GetAtt':
      return `GetAtt:${z.array(z.string()).parse(arg).join('.')}`;
    case 'Fn::Join': {
      const [sep, parts] = z.tuple([z.string(), z.unknown()]).parse(arg);
      return z.array(z.string()).parse(evaluate(template, parts)).join(sep);
    }
    case 'Fn::Split': {
      const [sep, text] = z.tuple([z.string(), z.unknown()]).parse(arg);
      return z.string().parse(evaluate(template, text)).split(sep);
    }
    case 'Fn::Select': {
      const [index, list] = z.tuple([z.coerce.number(), z.unknown()]).parse(arg);
      return z.array(z.unknown()).parse(evaluate(template, list))[index];
    }
    default:
      return value;
  }
}

const statementSchema = z.object({
  Effect: z.literal('Allow'),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
});
const policyDocumentSchema = z.object({ Statement: z.array(statementSchema) });
const roleSchema = z.object({
  Type: z.literal('AWS::IAM::Role'),
  Properties: z.object({
    AssumeRolePolicyDocument: z.unknown(),
    ManagedPolicyArns: z.array(z.object({ Ref: z.string() })).optional(),
    Policies: z.array(z.object({ PolicyName: z.string(), PolicyDocument: policyDocumentSchema })),
  }),
});
const lambdaSchema = z.object({
  Type: z.literal('AWS::Lambda::Function'),
  Properties: z.object({
    Handler: z.string(),
    Timeout: z.number().optional(),
    MemorySize: z.number().optional(),
    Role: z.unknown(),
    VpcConfig: z.unknown().optional(),
    Environment: z.object({ Variables: z.record(z.string(), z.string()) }),
  }),
});

const ruleSchema = z.object({
  Properties: z.object({
    Name: z.string().optional(),
    ScheduleExpression: z.string().optional(),
    EventBusName: z.string().optional(),
    EventPattern: z.record(z.string(), z.array(z.string())).optional(),
    Targets: z.array(
      z.object({
        Arn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
        RetryPolicy: z.unknown().optional(),
        DeadLetterConfig: z.unknown().optional(),
      }),
    ),
  }),
});
const queueSchema = z.object({
  Type: z.literal('AWS::SQS::Queue'),
  Properties: z.record(z.string(), z.unknown()),
});
const queuePolicySchema = z.object({
  Properties: z.object({
    Queues: z.array(z.object({ Ref: z.string() })),
    PolicyDocument: z.object({
      Statement: z.array(
        z.object({
          Effect: z.string(),
          Principal: z.unknown(),
          Action: z.unknown(),
          Resource: z.unknown(),
          Condition: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
        }),
      ),
    }),
  }),
});
const eventInvokeConfigSchema = z.object({
  Properties: z.object({ FunctionName: z.object({ Ref: z.string() }) }).loose(),
});

/** `action → resources` of a set of statements, with the resources evaluated to strings. */
function grants(template: Template, statements: z.infer<typeof statementSchema>[]): Map<string, string[]> {
  const byAction = new Map<string, string[]>();
  for (const statement of statements) {
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    const evaluated = evaluate(template, statement.Resource);
    const resources = (Array.isArray(evaluated) ? evaluated : [evaluated]).map(String);
    for (const action of actions) byAction.set(action, [...(byAction.get(action) ?? []), ...resources]);
  }
  return byAction;
}

const functionRoles = {
  'functions/ping/handler.handler': 'PingRole',
  'functions/fetch-users/handler.handler': 'FetchUsersRole',
  'functions/store-users/handler.handler': 'StoreUsersRole',
  'functions/publish-users/handler.handler': 'PublishUsersRole',
  'functions/sink-users/handler.handler': 'SinkUsersRole',
} as const;

const logGroup = (fn: string) =>
  `arn:aws:logs:${region}:${account}:log-group:/aws/lambda/realtime-user-pipeline-prod-${fn}:*`;
const mskPath = 'pipeline-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-1';
const topicArn = (topic: string) => `arn:aws:kafka:${region}:${account}:topic/${mskPath}/${topic}`;
const busArn = `arn:aws:events:${region}:${account}:event-bus/realtime-user-pipeline-prod`;

/** What each function's own role may do: action → exact resources. */
const expectedGrants: Record<keyof typeof functionRoles, Record<string, string[]>> = {
  'functions/ping/handler.handler': {
    'logs:CreateLogStream': [logGroup('ping')],
    'logs:PutLogEvents': [logGroup('ping')],
  },
  'functions/fetch-users/handler.handler': {
    'logs:CreateLogStream': [logGroup('fetch-users')],
    'logs:PutLogEvents': [logGroup('fetch-users')],
    'events:PutEvents': [busArn],
  },
  'functions/store-users/handler.handler': {
    'logs:CreateLogStream': [logGroup('store-users')],
    'logs:PutLogEvents': [logGroup('store-users')],
    'events:PutEvents': [busArn],
    'secretsmanager:GetSecretValue': [secretArn],
    'sqs:SendMessage': ['GetAtt:EventHandlerFailures.Arn'],
  },
  'functions/publish-users/handler.handler': {
    'logs:CreateLogStream': [logGroup('publish-users')],
    'logs:PutLogEvents': [logGroup('publish-users')],
    'secretsmanager:GetSecretValue': [secretArn],
    'sqs:SendMessage': ['GetAtt:EventHandlerFailures.Arn'],
    'kafka-cluster:Connect': [clusterArn],
    'kafka-cluster:DescribeTopic': [topicArn('users_created')],
    'kafka-cluster:WriteData': [topicArn('users_created')],
  },
  'functions/sink-users/handler.handler': {
    'logs:CreateLogStream': [logGroup('sink-users')],
    'logs:PutLogEvents': [logGroup('sink-users')],
    'kafka:DescribeClusterV2': [clusterArn],
    'kafka:GetBootstrapBrokers': [clusterArn],
    'kafka-cluster:Connect': [clusterArn],
    'kafka-cluster:DescribeClusterDynamicConfiguration': [clusterArn],
    'kafka-cluster:DescribeTopic': [topicArn('users_created'), topicArn('users_created.dlq')],
    'kafka-cluster:ReadData': [topicArn('users_created')],
    // The function's own dead letters, and the event source's on-failure destination.
    'kafka-cluster:WriteData': [topicArn('users_created.dlq')],
    // The event source's credentials for the schema registry.
    'secretsmanager:GetSecretValue': [registrySecretArn],
    'kafka-cluster:DescribeGroup': [
      `arn:aws:kafka:${region}:${account}:group/${mskPath}/realtime-user-pipeline-prod-sink-users`,
    ],
    'kafka-cluster:AlterGroup': [
      `arn:aws:kafka:${region}:${account}:group/${mskPath}/realtime-user-pipeline-prod-sink-users`,
    ],
    'cassandra:Modify': [
      `arn:aws:cassandra:${region}:${account}:/keyspace/spark_streams/table/created_users`,
    ],
    'cassandra:Select': [`arn:aws:cassandra:${region}:${account}:/keyspace/system*`],
  },
};

// Build tools and test tools: none of them may end up in a Lambda bundle.
const forbiddenInBundles = [
  'aws-sdk',
  'serverless',
  'esbuild',
  'vitest',
  'typescript',
  'tsx',
  '@biomejs/biome',
];

describe('`sls package --stage prod` (AWS, offline)', () => {
  let outDir = '';
  let template: Template = { Resources: {} };
  let templateText = '';

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'rup-sls-prod-'));
    await sls(['package', '--stage', 'prod', '--package', outDir, ...paramFlags(placeholders)]);
    templateText = await readFile(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8');
    template = templateSchema.parse(JSON.parse(templateText));
  }, cliTimeoutMs + 10_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  function resourcesOf<T extends z.ZodType>(type: string, schema: T): Array<[string, z.output<T>]> {
    return Object.entries(template.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, schema.parse(r)]);
  }

  function lambdas(): Map<string, z.infer<typeof lambdaSchema>['Properties']> {
    return new Map(
      resourcesOf('AWS::Lambda::Function', lambdaSchema).map(([, l]) => [l.Properties.Handler, l.Properties]),
    );
  }

  it('maps users_created on the MSK cluster to sink-users in provisioned mode, with every key of the local event source', () => {
    const mappings = resourcesOf(
      'AWS::Lambda::EventSourceMapping',
      z.object({ Properties: z.record(z.string(), z.unknown()) }),
    );

    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0] ?? [];
    const props = mapping?.Properties ?? {};
    expect(evaluate(template, props.EventSourceArn)).toBe(clusterArn);
    // Every key, with the value params.default gives the local stage's event too.
    expect(props).toEqual({
      EventSourceArn: { Ref: 'MskClusterArn' },
      FunctionName: { 'Fn::GetAtt': ['SinkDashusersLambdaFunction', 'Arn'] },
      Topics: ['users_created'],
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      StartingPosition: 'TRIM_HORIZON',
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 6 },
      MaximumRetryAttempts: 10_000,
      MaximumRecordAgeInSeconds: -1,
      BisectBatchOnFunctionError: false,
      // The dead-letter topic, as locally: the records themselves, not an SQS record of their offsets.
      DestinationConfig: { OnFailure: { Destination: 'kafka://users_created.dlq' } },
      AmazonManagedKafkaEventSourceConfig: {
        ConsumerGroupId: 'realtime-user-pipeline-prod-sink-users',
        SchemaRegistryConfig: {
          SchemaRegistryURI: registryUrl,
          EventRecordFormat: 'SOURCE',
          AccessConfigs: [{ Type: 'BASIC_AUTH', URI: registrySecretArn }],
          SchemaValidationConfigs: [{ Attribute: 'VALUE' }],
        },
      },
      MetricsConfig: { Metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] },
      LoggingConfig: { SystemLogLevel: 'WARN' },
    });
    // Left out on purpose: the sink succeeds or fails a batch whole (no partial batch responses); MSK, not a
    // self-managed Kafka source with brokers of its own.
    expect(props).not.toHaveProperty('FunctionResponseTypes');
    expect(props).not.toHaveProperty('SelfManagedEventSource');
    // The SQS queue the mapping reported to before has gone (its grant too: see the roles' test); the queues
    // left are the EventBridge hop's.
    expect(
      resourcesOf('AWS::SQS::Queue', queueSchema)
        .map(([id]) => id)
        .sort(),
    ).toEqual(['EventHandlerFailures', 'EventTargetDeadLetters']);
  });

  it('has the schedules, and routes both events on the stage bus', () => {
    const rules = resourcesOf('AWS::Events::Rule', ruleSchema).map(([, r]) => ({
      target: r.Properties.Targets[0]?.Arn['Fn::GetAtt'][0],
      schedule: r.Properties.ScheduleExpression,
      bus: r.Properties.EventBusName,
      pattern: r.Properties.EventPattern,
    }));
    const buses = resourcesOf(
      'AWS::Events::EventBus',
      z.object({ Properties: z.object({ Name: z.string() }) }),
    ).map(([, b]) => b.Properties.Name);

    expect(buses).toEqual(['realtime-user-pipeline-prod']);
    expect(rules).toEqual(
      expect.arrayContaining([
        {
          target: 'FetchDashusersLambdaFunction',
          schedule: 'rate(5 minutes)',
          bus: undefined,
          pattern: undefined,
        },
        {
          target: 'PublishDashusersLambdaFunction',
          schedule: 'rate(1 minute)',
          bus: undefined,
          pattern: undefined,
        },
        {
          target: 'StoreDashusersLambdaFunction',
          schedule: undefined,
          bus: 'realtime-user-pipeline-prod',
          pattern: { source: ['realtime-user-pipeline'], 'detail-type': ['UsersFetched'] },
        },
        {
          target: 'PublishDashusersLambdaFunction',
          schedule: undefined,
          bus: 'realtime-user-pipeline-prod',
          pattern: { source: ['realtime-user-pipeline'], 'detail-type': ['UsersStored'] },
        },
      ]),
    );
    expect(rules).toHaveLength(4);
  });

  /** The rules of the two `eventBridge` events (those with a pattern), by logical id. */
  function eventRules(): Array<[string, z.infer<typeof ruleSchema>['Properties']]> {
    return resourcesOf('AWS::Events::Rule', ruleSchema)
      .filter(([, r]) => r.Properties.EventPattern !== undefined)
      .map(([id, r]) => [id, r.Properties]);
  }

  it('retries each EventBridge target 185 times over 24 hours, then dead-letters the event', () => {
    const rules = eventRules();

    expect(rules.map(([, r]) => r.Targets[0]?.Arn['Fn::GetAtt'][0]).sort()).toEqual([
      'PublishDashusersLambdaFunction',
      'StoreDashusersLambdaFunction',
    ]);
    for (const [id, rule] of rules) {
      expect(rule.Targets, id).toHaveLength(1);
      expect(rule.Targets[0], id).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['EventTargetDeadLetters', 'Arn'] } },
      });
    }
  });

  it('lets EventBridge send to the dead-letter queue, and only for those two rules', () => {
    const queue = queueSchema.parse(template.Resources.EventTargetDeadLetters);
    const policies = resourcesOf('AWS::SQS::QueuePolicy', queuePolicySchema).filter(([, p]) =>
      p.Properties.Queues.some((q) => q.Ref === 'EventTargetDeadLetters'),
    );
    const compiledRuleArns = eventRules().map(
      ([, r]) => `arn:aws:events:${region}:${account}:rule/${r.EventBusName}/${r.Name}`,
    );

    // A standard queue (EventBridge refuses FIFO ones), keeping messages for 14 days, large enough for a
    // full 256 KB event.
    expect(queue.Properties).toMatchObject({
      QueueName: 'realtime-user-pipeline-prod-event-target-dlq',
      MessageRetentionPeriod: 1_209_600,
      MaximumMessageSize: 1_048_576,
    });
    expect(queue.Properties).not.toHaveProperty('FifoQueue');
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.[1].Properties.PolicyDocument.Statement ?? [];
    expect(statements).toHaveLength(1);
    const [statement] = statements;
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['EventTargetDeadLetters', 'Arn'] },
    });
    expect(Object.keys(statement?.Condition ?? {})).toEqual(['ArnEquals']);
    const sourceArns = z
      .array(z.string())
      .parse(evaluate(template, statement?.Condition?.ArnEquals?.['aws:SourceArn']));
    expect(sourceArns.sort()).toEqual([
      `arn:aws:events:${region}:${account}:rule/realtime-user-pipeline-prod/realtime-user-pipeline-prod-publish-users-rule-1`,
      `arn:aws:events:${region}:${account}:rule/realtime-user-pipeline-prod/realtime-user-pipeline-prod-store-users-rule-1`,
    ]);
    // The condition names the rules osls compiled, not names that merely look like them.
    expect(sourceArns).toEqual(compiledRuleArns.sort());
  });

  it("sends store-users' and publish-users' events that fail past Lambda's retries to the failures queue", () => {
    const configs = resourcesOf('AWS::Lambda::EventInvokeConfig', eventInvokeConfigSchema).map(
      ([, c]) => c.Properties,
    );
    const queue = queueSchema.parse(template.Resources.EventHandlerFailures);

    expect(configs.map((c) => c.FunctionName.Ref).sort()).toEqual([
      'PublishDashusersLambdaFunction',
      'StoreDashusersLambdaFunction',
    ]);
    for (const config of configs) {
      expect(config, config.FunctionName.Ref).toMatchObject({
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21_600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['EventHandlerFailures', 'Arn'] } } },
      });
    }
    expect(queue.Properties).toMatchObject({
      QueueName: 'realtime-user-pipeline-prod-event-handler-failures',
      MessageRetentionPeriod: 1_209_600,
      MaximumMessageSize: 1_048_576,
    });
    expect(queue.Properties).not.toHaveProperty('FifoQueue');
    // Lambda sends the record with the function's own role.
    for (const roleId of ['StoreUsersRole', 'PublishUsersRole']) {
      const role = roleSchema.parse(template.Resources[roleId]);
      const allowed = grants(
        template,
        role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement),
      );
      expect(allowed.get('sqs:SendMessage'), roleId).toEqual(['GetAtt:EventHandlerFailures.Arn']);
    }
  });

  it('names every failure queue in the stack outputs, as docs/deploy.md reads them', () => {
    expect(template.Outputs).not.toHaveProperty('SinkUsersFailuresQueueUrl');
    expect(template.Outputs).toMatchObject({
      EventTargetDeadLettersQueueUrl: { Value: { Ref: 'EventTargetDeadLetters' } },
      EventHandlerFailuresQueueUrl: { Value: { Ref: 'EventHandlerFailures' } },
    });
  });

  it('gives each function its own role, allowing only its own actions on exact ARNs', () => {
    const fns = lambdas();

    expect(template.Resources).not.toHaveProperty('IamRoleLambdaExecution');
    for (const [handler, roleId] of Object.entries(functionRoles)) {
      const fn = fns.get(handler);
      expect(fn?.Role, handler).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      const role = roleSchema.parse(template.Resources[roleId]);
      const statements = role.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement);

      const actual = Object.fromEntries(
        [...grants(template, statements)].map(([action, resources]) => [action, [...resources].sort()]),
      );
      const expected = Object.fromEntries(
        Object.entries(expectedGrants[handler as keyof typeof functionRoles]).map(([a, r]) => [
          a,
          [...r].sort(),
        ]),
      );
      expect(actual, handler).toEqual(expected);
    }
  });

  it('allows no `*` action anywhere, and a `*` resource only for EC2 Describe calls', () => {
    const documents = Object.values(template.Resources).flatMap((r) => {
      const props = z
        .object({
          PolicyDocument: policyDocumentSchema.optional(),
          Policies: z.array(z.object({ PolicyDocument: policyDocumentSchema })).optional(),
        })
        .loose()
        .safeParse(r.Properties ?? {});
      if (!props.success || !r.Type.startsWith('AWS::IAM::')) return [];
      return [
        ...(props.data.PolicyDocument ? [props.data.PolicyDocument] : []),
        ...(props.data.Policies ?? []).map((p) => p.PolicyDocument),
      ];
    });
    const all = grants(
      template,
      documents.flatMap((d) => d.Statement),
    );

    expect(all.size).toBeGreaterThan(10);
    for (const [action, resources] of all) {
      expect(action, 'an action with a wildcard').not.toMatch(/\*/);
      if (resources.includes('*')) expect(action).toMatch(/^ec2:Describe/);
    }
    // The VPC functions share the network-interface policy; the others do not get it.
    const vpcRoles = Object.values(functionRoles).filter((id) =>
      roleSchema
        .parse(template.Resources[id])
        .Properties.ManagedPolicyArns?.some((arn) => arn.Ref === 'VpcNetworkInterfacesPolicy'),
    );
    expect(vpcRoles.sort()).toEqual(['PublishUsersRole', 'SinkUsersRole', 'StoreUsersRole']);
  });

  it('holds no secret value: only the secret ARN, and nothing from the CLI environment', async () => {
    const state = await readFile(join(outDir, 'serverless-state.json'), 'utf8');

    for (const [, fn] of lambdas()) {
      for (const [name, value] of Object.entries(fn.Environment.Variables)) {
        expect(name).not.toMatch(/PASSWORD|TOKEN|(SECRET$)/i);
        if (name.endsWith('SECRET_ARN') && value !== '') expect(value).toMatch(/^arn:aws:secretsmanager:/);
      }
      expect(fn.Environment.Variables.PG_SECRET_ARN).toBe(secretArn);
    }
    for (const text of [templateText, state]) {
      expect(text).not.toContain(planted);
      expect(text).not.toMatch(/AKIA[0-9A-Z]{16}/);
      expect(text).not.toMatch(/"(PGPASSWORD|password)"\s*:/i);
    }
  });

  it('sets a timeout and memory size on every function, and the VPC only where RDS or MSK is reached', () => {
    const fns = lambdas();

    expect(fns.size).toBe(5);
    for (const [handler, fn] of fns) {
      expect(fn.Timeout, handler).toBeGreaterThan(0);
      expect(fn.MemorySize, handler).toBeGreaterThanOrEqual(128);
    }
    const inVpc = [...fns].filter(([, fn]) => fn.VpcConfig !== undefined).map(([h]) => h);
    expect(inVpc.sort()).toEqual([
      'functions/publish-users/handler.handler',
      'functions/sink-users/handler.handler',
      'functions/store-users/handler.handler',
    ]);
    expect(evaluate(template, fns.get('functions/sink-users/handler.handler')?.VpcConfig)).toEqual({
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      SecurityGroupIds: ['sg-0123456789abcdef0'],
    });
  });

  it('selects IAM for MSK, SigV4 and TLS for Keyspaces, and verified TLS for RDS through settings', () => {
    const sink = lambdas().get('functions/sink-users/handler.handler');

    expect(sink?.Environment.Variables).toMatchObject({
      KAFKA_AUTH: 'iam',
      CASSANDRA_AUTH: 'sigv4',
      CASSANDRA_CONTACT_POINTS: `cassandra.${region}.amazonaws.com:9142`,
      CASSANDRA_LOCAL_DC: region,
      PGSSLMODE: 'verify-full',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      EVENT_BUS_NAME: 'realtime-user-pipeline-prod',
    });
  });

  it('bundles each function alone, with no development dependency inside', async () => {
    const devDependencies = Object.keys(
      z
        .object({ devDependencies: z.record(z.string(), z.string()) })
        .parse(JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'))).devDependencies,
    );
    const zips = (await readdir(outDir)).filter((f) => f.endsWith('.zip')).sort();
    const report: Record<string, { zipKiB: number; bundleKiB: number; packages: number }> = {};

    expect(zips).toEqual([
      'fetch-users.zip',
      'ping.zip',
      'publish-users.zip',
      'sink-users.zip',
      'store-users.zip',
    ]);
    for (const zip of zips) {
      const bytes = await readFile(join(outDir, zip));
      const entries = readZip(bytes);
      const bundle = entries.find((e) => e.name.endsWith('handler.cjs'));
      expect(bundle, `${zip} has no handler.cjs`).toBeDefined();
      const source = bundle?.data.toString('utf8') ?? '';
      // Unminified esbuild output opens every bundled module with a `// node_modules/<package>/...` comment
      // (`// ../main/node_modules/...` in a git worktree whose node_modules links to another checkout's).
      const packages = new Set(
        [...source.matchAll(/^\/\/ (?:\S*\/)?node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//gm)].map(
          (m) => m[1] ?? '',
        ),
      );
      report[zip] = {
        zipKiB: Math.round(bytes.length / 1024),
        bundleKiB: Math.round((bundle?.data.length ?? 0) / 1024),
        packages: packages.size,
      };

      expect(packages.size, `${zip}: no module comments found; is the bundle minified?`).toBeGreaterThan(0);
      for (const dev of [...devDependencies, ...forbiddenInBundles]) {
        expect(packages.has(dev), `${zip} bundles ${dev}`).toBe(false);
      }
      expect(entries.map((e) => e.name).filter((n) => n.includes('node_modules'))).toEqual([]);
    }
    // The bundle sizes, for the test log: each is well under Lambda's 50 MB zip limit.
    console.info('bundle sizes', report);
    for (const { zipKiB } of Object.values(report)) expect(zipKiB).toBeLessThan(50 * 1024);
  });
});

describe('`sls package --stage prod` with bad or missing settings', () => {
  it.each(['PG_SECRET_ARN', 'SCHEMA_REGISTRY_SECRET_ARN'])(
    'fails when a required parameter (%s) is missing, naming where it is needed',
    async (name) => {
      const rest = Object.fromEntries(Object.entries(placeholders).filter(([key]) => key !== name));

      const output = await slsFailure([
        'package',
        '--stage',
        'prod',
        '--package',
        join(tmpdir(), 'rup-never'),
        ...paramFlags(rest),
      ]);

      expect(output).toContain(`params.prod.REQUIRED.${name}`);
    },
    cliTimeoutMs,
  );

  it.each([
    [
      'an invalid value',
      { KAFKA_BROKERS: 'b-1.example-without-port' },
      /KAFKA_BROKERS\[0\]: expected host:port/,
    ],
    [
      'a combination that cannot work',
      { PGSSLMODE: 'disable' },
      /PGSSLMODE: must be require or verify-full when PG_SECRET_ARN is set/,
    ],
  ])(
    'fails on %s, naming the setting, before anything is bundled',
    async (_what, change, message) => {
      const dir = join(tmpdir(), `rup-never-${Date.now()}`);

      const output = await slsFailure([
        'package',
        '--stage',
        'prod',
        '--package',
        dir,
        ...paramFlags({ ...placeholders, ...change }),
      ]);

      expect(output).toMatch(message);
      await expect(readdir(dir)).rejects.toThrow();
    },
    cliTimeoutMs,
  );
});
