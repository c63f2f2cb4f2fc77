/**
 * The local EventBridge (infra/eventbus) under a real `sls offline start`, against the real PostgreSQL. The
 * service in test/fixtures/eventbus-service has one probe handler that logs every event it receives and fails or
 * dawdles on demand; its rules test routing (patterns, buses, a disabled rule), retries and dead letters, and a
 * crash. Events are put with the real SDK client, the bus keeps them in a database of this run's own, and the
 * CLI (`npm run eventbus -- ...`) is run as a user runs it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busCounts, listDeadLetters } from '../../infra/eventbus/store.ts';
import { resolvePostgres, stackConnection } from '../../infra/local/endpoints.ts';
import { portOpen } from '../../infra/local/proc.ts';
import { repoRoot } from '../../lib/paths.ts';
import { type GroupProcess, startGroup } from '../helpers/process.ts';
import { eventually, postgresClient, stackConfig, uniqueName } from '../helpers/stack.ts';

const serviceDir = join(repoRoot, 'test', 'fixtures', 'eventbus-service');
const ports = { http: 3220, ws: 3221, lambda: 3222, bus: 4020 };
const run = uniqueName('ebus');
const logFile = join(tmpdir(), `${run}.jsonl`);
const fn = (name: string) => `eventbus-probe-probe-${name}`;

interface ProbeEntry {
  fn: string;
  id: string;
  detailType: string;
  attempt: number;
  failed: boolean;
  started: number;
  event: { detail: Record<string, unknown>; 'detail-type': string };
}

const server = resolvePostgres(stackConfig());
let db: pg.Pool;
let offline: GroupProcess | undefined;
let client: EventBridgeClient;

function probeLog(): ProbeEntry[] {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ProbeEntry);
}

/** What the probe service reads from the environment: this run's ports, database and log file. */
function probeEnv(): Record<string, string> {
  return {
    PROBE_LOG: logFile,
    PROBE_HTTP_PORT: String(ports.http),
    PROBE_WS_PORT: String(ports.ws),
    PROBE_LAMBDA_PORT: String(ports.lambda),
    PROBE_BUS_PORT: String(ports.bus),
    PROBE_PGHOST: server.host,
    PROBE_PGPORT: String(server.port),
    PROBE_PGUSER: server.user,
    PROBE_PGDATABASE: run,
  };
}

async function startOffline(): Promise<GroupProcess> {
  const proc = startGroup(join(repoRoot, 'node_modules', '.bin', 'sls'), ['offline', 'start'], {
    cwd: serviceDir,
    env: probeEnv(),
  });
  await eventually(
    'the local EventBridge to listen',
    async () =>
      proc.output().includes(`[eventbus] PutEvents on http://127.0.0.1:${ports.bus}`) ? true : undefined,
    120_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${proc.output().slice(-3000)}`);
  });
  return proc;
}

/** Puts entries with the SDK, as the functions do; returns the answer. */
async function put(entries: PutEventsRequestEntry[]) {
  return client.send(new PutEventsCommand({ Entries: entries }));
}

const order = (
  detail: Record<string, unknown>,
  more: Partial<PutEventsRequestEntry> = {},
): PutEventsRequestEntry => ({
  Source: 'probe',
  DetailType: 'Order',
  Detail: JSON.stringify(detail),
  ...more,
});

/** Runs `npm run eventbus -- <args>` against this run's database; returns its output. */
async function cli(...args: string[]): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'infra/eventbus/cli.ts', ...args],
    { cwd: repoRoot, env: { ...process.env, PIPELINE_PGDATABASE: run } },
  );
  return `${stdout}${stderr}`;
}

/** Waits until the bus has nothing pending. */
async function drained(): Promise<void> {
  await eventually(
    'the bus to drain',
    async () => ((await busCounts(db)).pending === 0 ? true : undefined),
    60_000,
  );
}

beforeAll(async () => {
  const admin = postgresClient();
  await admin.connect();
  await admin.query(`CREATE DATABASE ${run}`);
  await admin.end();
  db = new pg.Pool({ ...stackConnection({ ...server, database: run }), max: 2 });
  client = new EventBridgeClient({
    endpoint: `http://127.0.0.1:${ports.bus}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  offline = await startOffline();
}, 180_000);

afterAll(async () => {
  client?.destroy();
  const code = await offline?.interrupt();
  await db?.end();
  const admin = postgresClient();
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${run} WITH (FORCE)`);
  await admin.end();
  expect(code).toBe(0);
  await eventually('the probe service to free its ports', async () =>
    (await Promise.all(Object.values(ports).map((p) => portOpen('127.0.0.1', p)))).some(Boolean)
      ? undefined
      : true,
  );
});

describe('PutEvents', () => {
  it('answers per entry as AWS does: an EventId, or an error code, and the count of failed entries', async () => {
    const answer = await put([order({ amount: 1 }), order({}, { Detail: '[1]' }), order({}, { Source: '' })]);

    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.Entries?.slice(1).map((e) => e.ErrorCode)).toEqual(['MalformedDetail', 'InvalidArgument']);
  });

  it('refuses a request over 256 KB whole, with ValidationException', async () => {
    const big = order({ padding: 'x'.repeat(260 * 1024) });

    await expect(put([big])).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
  });
});

describe('delivery', () => {
  it('delivers each event to exactly the enabled rules whose bus and pattern match', async () => {
    const answer = await put([
      order({ amount: 50 }),
      order({ amount: 150, country: 'NL' }),
      order({ amount: 150, country: 'XX' }),
      order({ amount: 150, country: 'XX', priority: 'high' }),
      order({ amount: 5 }, { EventBusName: 'probe-other' }),
      order({ amount: 5 }, { Source: 'elsewhere' }),
    ]);
    const ids = (answer.Entries ?? []).map((e) => e.EventId ?? '');
    const [small, bigNl, bigXx, bigXxPriority, otherBus, elsewhere] = ids;

    await drained();
    const got = probeLog()
      .filter((e) => ids.includes(e.id))
      .map((e) => `${e.fn} ${e.id}`)
      .sort();

    expect(answer.FailedEntryCount).toBe(0);
    expect(got).toEqual(
      [
        `${fn('orders')} ${small}`,
        `${fn('orders')} ${bigNl}`,
        `${fn('big-orders')} ${bigNl}`,
        `${fn('orders')} ${bigXx}`,
        `${fn('orders')} ${bigXxPriority}`,
        `${fn('big-orders')} ${bigXxPriority}`,
        `${fn('other-bus')} ${otherBus}`,
      ].sort(),
    );
    expect(got.some((line) => line.endsWith(elsewhere ?? '-'))).toBe(false);
  });

  it('retries a failing target with backoff, dead-letters it with AWS attributes after its retry policy, and a redrive delivers it', async () => {
    const answer = await put([{ Source: 'probe', DetailType: 'Flaky', Detail: JSON.stringify({ fail: 3 }) }]);
    const id = answer.Entries?.[0]?.EventId ?? '';

    const [letter] = await eventually('the dead letter', async () => {
      const letters = (await listDeadLetters(db)).filter((l) => l.eventId === id);
      return letters.length > 0 ? letters : undefined;
    });
    const attempts = probeLog().filter((e) => e.id === id);
    const listed = JSON.parse(await cli('dead-letters', '--json')) as Array<{
      id: string;
      attributes: unknown;
    }>;
    const output = offline?.output() ?? '';

    expect(attempts.map((a) => [a.attempt, a.failed])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(letter?.attributes).toEqual({
      RULE_ARN: 'arn:aws:events:eu-west-1:000000000000:rule/eventbus-probe-probe-flaky-rule-1',
      TARGET_ARN: `arn:aws:lambda:eu-west-1:000000000000:function:${fn('flaky')}`,
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: `Error: probe: ${id} asked to fail (attempt 3)`,
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '2',
    });
    expect(letter?.event).toMatchObject({ id, 'detail-type': 'Flaky', detail: { fail: 3 } });
    expect(listed.find((l) => l.id === letter?.id)?.attributes).toEqual(letter?.attributes);
    // Each retry waited its backoff: full jitter under the probe service's 200 ms cap.
    const delays = [...output.matchAll(new RegExp(`${id}: .*; retry \\d in (\\d+\\.\\d) s`, 'g'))].map((m) =>
      Number(m[1]),
    );
    expect(delays).toHaveLength(2);
    for (const delay of delays) expect(delay).toBeLessThanOrEqual(0.2);
    expect(output).toContain(
      `${id}: ERROR_FROM_TARGET Error: probe: ${id} asked to fail (attempt 3) (attempt 3); DEAD-LETTERED (MaximumRetryAttempts)`,
    );

    const redriven = await cli('redrive', '--id', letter?.id ?? '');
    const delivered = await eventually('the redriven event to be delivered', async () =>
      probeLog().find((e) => e.id === id && !e.failed),
    );

    expect(redriven).toContain(
      `[eventbus] redrive: dead letter ${letter?.id} (Flaky ${id}) is pending again for`,
    );
    expect(delivered.attempt).toBe(4);
    expect((await listDeadLetters(db)).filter((l) => l.eventId === id)).toEqual([]);
    expect(await cli('status')).toMatch(/0 deliveries pending, 0 dead-lettered/);
  });

  it('delivers every accepted event after SIGKILL of sls offline start right after PutEvents answered, and a new start', async () => {
    const accepted: string[] = [];
    for (let call = 0; call < 10; call++) {
      const answer = await put(
        Array.from({ length: 10 }, (_, i) => ({
          Source: 'probe',
          DetailType: 'Slow',
          Detail: JSON.stringify({ n: call * 10 + i, delayMs: 100 }),
        })),
      );
      expect(answer.FailedEntryCount).toBe(0);
      accepted.push(...(answer.Entries ?? []).map((e) => e.EventId ?? ''));
    }
    await offline?.kill();
    offline = undefined;
    const pendingAtKill = (await busCounts(db)).pending;

    offline = await startOffline();
    await drained();
    const received = new Set(
      probeLog()
        .filter((e) => e.fn === fn('slow') && !e.failed)
        .map((e) => e.id),
    );

    expect(pendingAtKill).toBeGreaterThan(0);
    expect(received).toEqual(new Set(accepted));
  });
});
