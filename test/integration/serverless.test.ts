/**
 * The Serverless Framework skeleton, end to end through the real CLI: `sls invoke local` runs the bundled
 * ping function, and `sls package` produces a CloudFormation template and a zip per function. Neither needs
 * a server, only the repository's own node_modules.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { repoRoot } from '../../lib/paths.ts';

const run = promisify(execFile);
// The first run of the CLI in a fresh checkout bundles every function, which is slow on a loaded laptop.
const cliTimeoutMs = 150_000;

/** Runs `npx sls <args>` in the repository and returns its stdout. */
async function sls(args: string[]): Promise<string> {
  const { stdout } = await run('npx', ['sls', ...args], {
    cwd: repoRoot,
    timeout: cliTimeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

const invokeResultSchema = z.object({
  statusCode: z.number(),
  headers: z.record(z.string(), z.string()),
  // `invoke local` parses a JSON body when the Content-Type says so.
  body: z.object({ service: z.string(), stage: z.string(), time: z.iso.datetime(), ok: z.boolean() }),
});

const lambdaResourceSchema = z.object({
  Type: z.literal('AWS::Lambda::Function'),
  Properties: z.object({
    Handler: z.string(),
    Runtime: z.string(),
    Timeout: z.number(),
    MemorySize: z.number(),
    Environment: z.object({ Variables: z.record(z.string(), z.string()) }),
  }),
});

const templateSchema = z.object({ Resources: z.record(z.string(), z.object({ Type: z.string() }).loose()) });

const slsFunctionsSchema = z.object({
  functions: z.record(z.string(), z.object({ handler: z.string() }).loose()),
});

describe('serverless.yml', () => {
  it('runs ping through `sls invoke local`', async () => {
    const before = Date.now();

    const stdout = await sls(['invoke', 'local', '-f', 'ping', '--path', 'events/ping.json']);

    // The function's own log lines come first, one JSON object per line; the pretty-printed result is last.
    const start = stdout.search(/^\{$/m);
    expect(start, `no result in the output:\n${stdout}`).toBeGreaterThanOrEqual(0);
    const result = invokeResultSchema.parse(JSON.parse(stdout.slice(start)));
    expect(result.statusCode).toBe(200);
    expect(result.headers['Content-Type']).toBe('application/json');
    expect(result.body).toMatchObject({ service: 'realtime-user-pipeline', stage: 'local', ok: true });
    const time = Date.parse(result.body.time);
    expect(time).toBeGreaterThanOrEqual(before - 1000);
    expect(time).toBeLessThanOrEqual(Date.now() + 1000);
  });

  describe('`sls package`', () => {
    let outDir = '';
    let resources: Record<string, unknown> = {};

    beforeAll(async () => {
      outDir = await mkdtemp(join(tmpdir(), 'rup-sls-package-'));
      await sls(['package', '--package', outDir]);
      const template = templateSchema.parse(
        JSON.parse(await readFile(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')),
      );
      resources = template.Resources;
    }, cliTimeoutMs + 10_000);

    afterAll(async () => {
      if (outDir) await rm(outDir, { recursive: true, force: true });
    });

    /** The Lambda resources of the template, keyed by handler. */
    function lambdasByHandler(): Map<string, z.infer<typeof lambdaResourceSchema>['Properties']> {
      const lambdas = new Map<string, z.infer<typeof lambdaResourceSchema>['Properties']>();
      for (const resource of Object.values(resources)) {
        const lambda = lambdaResourceSchema.safeParse(resource);
        if (lambda.success) lambdas.set(lambda.data.Properties.Handler, lambda.data.Properties);
      }
      return lambdas;
    }

    it('has the ping function with its timeout, memory and local settings', () => {
      const ping = lambdasByHandler().get('functions/ping/handler.handler');

      expect(ping).toBeDefined();
      expect(ping?.Runtime).toBe('nodejs22.x');
      expect(ping?.Timeout).toBe(3);
      expect(ping?.MemorySize).toBe(128);
      expect(ping?.Environment.Variables).toMatchObject({
        STAGE: 'local',
        CASSANDRA_LOCAL_DC: 'datacenter1',
        PGDATABASE: 'pipeline',
      });
    });

    it('writes a zip with the bundled ping handler', async () => {
      const zip = join(outDir, 'ping.zip');

      const info = await stat(zip);
      const bytes = await readFile(zip);

      expect(info.size).toBeGreaterThan(0);
      // Zip entry names are stored uncompressed, so the bundle's path is visible in the raw bytes.
      expect(bytes.includes('functions/ping/handler.cjs')).toBe(true);
    });

    /** The template's resources of one CloudFormation type. */
    function resourcesOf<T extends z.ZodType>(type: string, schema: T): z.output<T>[] {
      return Object.values(resources)
        .filter(
          (r) =>
            z
              .object({ Type: z.literal(type) })
              .loose()
              .safeParse(r).success,
        )
        .map((r) => schema.parse(r));
    }

    const ruleSchema = z.object({
      Properties: z.object({
        ScheduleExpression: z.string().optional(),
        EventPattern: z.record(z.string(), z.array(z.string())).optional(),
        Targets: z.array(
          z.object({ Arn: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }) }),
        ),
      }),
    });

    /** Each rule as `target function logical id → schedule or pattern`. */
    function rules(): {
      target: string;
      schedule?: string | undefined;
      pattern?: Record<string, string[]> | undefined;
    }[] {
      return resourcesOf('AWS::Events::Rule', ruleSchema).map((r) => ({
        target: r.Properties.Targets[0]?.Arn['Fn::GetAtt'][0] ?? '',
        schedule: r.Properties.ScheduleExpression,
        pattern: r.Properties.EventPattern,
      }));
    }

    it('schedules fetch-users, and the publish-users sweep every minute', () => {
      expect(rules()).toEqual(
        expect.arrayContaining([
          { target: 'FetchDashusersLambdaFunction', schedule: 'rate(1 minute)', pattern: undefined },
          { target: 'PublishDashusersLambdaFunction', schedule: 'rate(1 minute)', pattern: undefined },
        ]),
      );
    });

    it('routes UsersFetched to store-users and UsersStored to publish-users', () => {
      const patterns = rules().filter((r) => r.pattern !== undefined);

      expect(patterns).toEqual(
        expect.arrayContaining([
          {
            target: 'StoreDashusersLambdaFunction',
            schedule: undefined,
            pattern: { source: ['realtime-user-pipeline'], 'detail-type': ['UsersFetched'] },
          },
          {
            target: 'PublishDashusersLambdaFunction',
            schedule: undefined,
            pattern: { source: ['realtime-user-pipeline'], 'detail-type': ['UsersStored'] },
          },
        ]),
      );
    });

    it('feeds sink-users from users_created with a stable consumer group', () => {
      const mappings = resourcesOf(
        'AWS::Lambda::EventSourceMapping',
        z.object({
          Properties: z.object({
            FunctionName: z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }),
            Topics: z.array(z.string()),
            StartingPosition: z.string(),
            BatchSize: z.number(),
            SelfManagedEventSource: z.object({
              Endpoints: z.object({ KafkaBootstrapServers: z.array(z.string()) }),
            }),
            SelfManagedKafkaEventSourceConfig: z.object({ ConsumerGroupId: z.string() }),
          }),
        }),
      );

      expect(mappings).toHaveLength(1);
      expect(mappings[0]?.Properties).toMatchObject({
        FunctionName: { 'Fn::GetAtt': ['SinkDashusersLambdaFunction', 'Arn'] },
        Topics: ['users_created'],
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: ['127.0.0.1:9092'] } },
        SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'realtime-user-pipeline-local-sink-users' },
      });
    });

    it('sets a timeout and memory size on every function in serverless.yml', async () => {
      const service = slsFunctionsSchema.parse(
        parseYaml(await readFile(join(repoRoot, 'serverless.yml'), 'utf8')),
      );
      const lambdas = lambdasByHandler();

      for (const [name, fn] of Object.entries(service.functions)) {
        const lambda = lambdas.get(fn.handler);
        expect(lambda, `${name} is not in the template`).toBeDefined();
        expect(fn, `${name} must set timeout and memorySize`).toMatchObject({
          timeout: lambda?.Timeout,
          memorySize: lambda?.MemorySize,
        });
      }
    });
  });
});
