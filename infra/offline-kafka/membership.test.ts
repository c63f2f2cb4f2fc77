import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createMembershipWatch, isUnknownMember } from './membership.ts';

/** A broker's protocol error as kafkajs builds it from the response's error code. */
function protocolError(type: string, code: number, message: string): kafkajs.KafkaJSProtocolError {
  return new kafkajs.KafkaJSProtocolError(
    Object.assign(new Error(message), { type, code, retriable: false }),
  );
}

const unknownMember = protocolError('UNKNOWN_MEMBER_ID', 25, 'The coordinator is not aware of this member');
const rebalancing = protocolError('REBALANCE_IN_PROGRESS', 27, 'The group is rebalancing');

/** A watch on a fake timer: `fire()` runs the countdown out, `running` says whether one is counting. */
function watchOnFakeTimer() {
  let pending: (() => void) | undefined;
  const delays: number[] = [];
  let stale = 0;
  const watch = createMembershipWatch({
    timeoutMs: 60_000,
    onStale: () => {
      stale++;
    },
    startTimer: (fn, ms) => {
      delays.push(ms);
      pending = fn;
      return () => {
        pending = undefined;
      };
    },
  });
  return {
    watch,
    delays,
    stale: () => stale,
    get running() {
      return pending !== undefined;
    },
    fire() {
      const fn = pending;
      pending = undefined;
      fn?.();
    },
  };
}

describe('isUnknownMember', () => {
  it('recognises UNKNOWN_MEMBER_ID, also when kafkajs wrapped it after its retries', () => {
    expect(isUnknownMember(unknownMember)).toBe(true);
    expect(
      isUnknownMember(
        new kafkajs.KafkaJSNumberOfRetriesExceeded(unknownMember, { retryCount: 5, retryTime: 1 }),
      ),
    ).toBe(true);
  });

  it('leaves other failures alone: a rebalance, a refused connection, anything that is not an Error', () => {
    expect(isUnknownMember(rebalancing)).toBe(false);
    expect(isUnknownMember(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
    expect(isUnknownMember({ type: 'UNKNOWN_MEMBER_ID' })).toBe(false);
    expect(isUnknownMember(undefined)).toBe(false);
  });
});

describe('createMembershipWatch', () => {
  it('calls onStale once the rebalance timeout passes after a commit refused for an unknown member', () => {
    const t = watchOnFakeTimer();

    t.watch.commitFailed(unknownMember);
    t.watch.commitFailed(unknownMember);
    t.fire();

    expect(t.delays).toEqual([60_000]);
    expect(t.stale()).toBe(1);
  });

  it('starts counting again after a countdown ran out, as the restarted consumer may be refused too', () => {
    const t = watchOnFakeTimer();

    t.watch.commitFailed(unknownMember);
    t.fire();
    t.watch.commitFailed(unknownMember);
    t.fire();

    expect(t.stale()).toBe(2);
  });

  it('stops counting when the consumer joins the group or a commit is accepted', () => {
    const t = watchOnFakeTimer();

    t.watch.commitFailed(unknownMember);
    t.watch.known();
    const afterJoin = t.running;
    t.watch.commitFailed(unknownMember);
    t.watch.known();

    expect(afterJoin).toBe(false);
    expect(t.running).toBe(false);
    expect(t.stale()).toBe(0);
  });

  it('does not count for other commit failures, which kafkajs recovers from by itself', () => {
    const t = watchOnFakeTimer();

    t.watch.commitFailed(rebalancing);
    t.watch.commitFailed(new Error('Consumer group was not initialized, consumer#run must be called first'));

    expect(t.running).toBe(false);
  });

  it('neither counts nor calls onStale once stopped', () => {
    const t = watchOnFakeTimer();

    t.watch.commitFailed(unknownMember);
    t.watch.stop();
    const afterStop = t.running;
    t.watch.commitFailed(unknownMember);

    expect(afterStop).toBe(false);
    expect(t.running).toBe(false);
    expect(t.stale()).toBe(0);
  });
});
