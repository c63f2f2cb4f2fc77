/**
 * The stack's own Kafka and Cassandra faulted under a running pipeline: each SIGKILLed and restarted, and each
 * SIGSTOPped for 30 s and resumed, while a seed is part-way through the sink. Nothing on the pipeline's side is
 * restarted: the relay (retried by the bus and by its sweep), the Kafka event source and the local EventBridge
 * must carry on by themselves once the server is back, and every user must end in Cassandra exactly once, with
 * nothing dead-lettered.
 *
 * Two guarantees below the functions are on trial here too. A broker frozen past the group's session timeout
 * forgets the sink's consumer, and kafkajs may then fetch on without ever rejoining (offline-kafka's
 * membership watch then restarts the consumer). A Cassandra node killed right after acknowledging writes must replay them:
 * the local node acknowledges only synced commit log entries (infra/local/config.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readyStack } from '../../infra/dev/ready.ts';
import { loadStackConfig } from '../../infra/local/config.ts';
import { portOpen } from '../../infra/local/proc.ts';
import { services } from '../../infra/local/services.ts';
import { eventually } from '../helpers/stack.ts';
import { expectClean, FaultRun, serverPid } from './harness.ts';

type Server = 'kafka' | 'cassandra';

const total = 2500;
/** How long a SIGSTOPped server stays frozen: the 30 s. */
const freezeMs = 30_000;
let run: FaultRun;
/** Servers frozen by a case, resumed in afterAll too should a case end before its own `finally`. */
const frozen = new Set<number>();
/** Whether a case killed a server: afterAll then makes sure the stack is up again, as it found it. */
let crashed = false;

beforeAll(async () => {
  run = await FaultRun.open('fservers');
  await run.start();
}, 300_000);

afterAll(async () => {
  for (const pid of frozen) resume(pid);
  if (crashed) await restartStack();
  await run?.close();
}, 180_000);

/**
 * SIGKILLs a stack server and resolves once its ports are closed: the kernel takes a moment to tear a large
 * JVM down after the signal, and a restart before then finds the ports taken.
 */
async function crash(name: Server): Promise<void> {
  crashed = true;
  process.kill(serverPid(run.cfg, name), 'SIGKILL');
  const { ports, endpoint } = services(run.cfg)[name];
  await eventually(`${name}'s ports to close after SIGKILL`, async () => {
    const open = await Promise.all(ports.map(({ port }) => portOpen(endpoint.host, port)));
    return open.some(Boolean) ? undefined : true;
  });
}

/** Restarts what the stack is missing, as `stack:up` would. */
function restartStack(): Promise<void> {
  return readyStack(loadStackConfig(), (line) => console.log(`stack: ${line}`));
}

function resume(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // Already gone: nothing left to resume.
  }
  frozen.delete(pid);
}

/** Freezes a stack server for {@link freezeMs}, then resumes it, whatever happens meanwhile. */
async function freeze(name: Server): Promise<void> {
  const pid = serverPid(run.cfg, name);
  frozen.add(pid);
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(freezeMs);
  } finally {
    resume(pid);
  }
}

/** Invocations of the sink that failed since `mark` (a length of the instance's output), from offline-kafka's log. */
function sinkErrorsSince(mark: number): number {
  return run
    .instance()
    .output()
    .slice(mark)
    .split('\n')
    .filter((line) => /offline-kafka: sink-users .*: error /.test(line)).length;
}

describe('Kafka', () => {
  it('SIGKILL mid-sink, then a restart: the relay and the event source reconnect by themselves', async () => {
    const atFault = await run.fetchPartWay('kafka-kill', total);
    await crash('kafka');
    const recovery = performance.now();
    await restartStack();
    const outcome = await run.settle('kafka-sigkill', recovery);

    expect(atFault).toBeLessThan(total);
    expectClean(outcome);
  });

  it('SIGSTOP for 30 s mid-sink: the pipeline resumes once the broker answers, even if the group forgot the sink', async () => {
    const atFault = await run.fetchPartWay('kafka-stop', total);
    await freeze('kafka');
    const outcome = await run.settle('kafka-sigstop-30s', performance.now());

    expect(atFault).toBeLessThan(total);
    expectClean(outcome);
  });
});

describe('Cassandra', () => {
  it('SIGKILL mid-sink, then a restart: acknowledged rows survive, and the failed batches are retried', async () => {
    const atFault = await run.fetchPartWay('cassandra-kill', total);
    const mark = run.instance().output().length;
    await crash('cassandra');
    const recovery = performance.now();
    await restartStack();
    const outcome = await run.settle('cassandra-sigkill', recovery);

    expect(atFault).toBeLessThan(total);
    // The sink met the dead node: its batches failed and were retried, not skipped.
    expect(sinkErrorsSince(mark)).toBeGreaterThan(0);
    expectClean(outcome);
  });

  it('SIGSTOP for 30 s mid-sink: the timed-out writes are retried once the node answers again', async () => {
    const atFault = await run.fetchPartWay('cassandra-stop', total);
    const mark = run.instance().output().length;
    await freeze('cassandra');
    const outcome = await run.settle('cassandra-sigstop-30s', performance.now());

    expect(atFault).toBeLessThan(total);
    expect(sinkErrorsSince(mark)).toBeGreaterThan(0);
    expectClean(outcome);
  });
});
