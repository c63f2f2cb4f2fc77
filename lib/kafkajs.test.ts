import kafkajsPackage from 'kafkajs/package.json' with { type: 'json' };
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { patchedKafkajsVersion, requestQueueFixed } from './kafkajs.ts';

/** The parts of kafkajs' RequestQueue the tests drive. */
interface Queue {
  pending: unknown[];
  throttleCheckTimeoutId: unknown;
  push(request: { entry: { correlationId: number }; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  maybeThrottle(ms: number): void;
  checkPendingRequests(): void;
  destroy(): void;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

function queue(maxInFlightRequests: number | null): Queue {
  const Queue = RequestQueue as unknown as new (options: object) => Queue;
  return new Queue({
    maxInFlightRequests,
    requestTimeout: 30_000,
    clientId: 't',
    broker: 'b',
    logger: silent,
  });
}

function request(correlationId: number, sent: number[]) {
  const entry = { correlationId, resolve() {}, reject() {} };
  return { entry, expectResponse: true, sendRequest: () => sent.push(correlationId) };
}

describe('the kafkajs request-queue fix', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is applied to the installed kafkajs (a new version fails here until the fix is checked against it)', () => {
    expect(kafkajsPackage.version).toBe(patchedKafkajsVersion);
    expect(requestQueueFixed).toBe(true);
  });

  it('arms no timer while nothing waits: an idle connection does not wake the event loop', () => {
    const q = queue(null);
    const checks = vi.spyOn(q, 'checkPendingRequests');
    const sent: number[] = [];
    q.push(request(1, sent));
    q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    vi.advanceTimersByTime(1_000);
    // kafkajs 2.2.4 as published re-checks about every millisecond here.
    expect(checks).toHaveBeenCalledTimes(1);
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
    expect(sent).toEqual([1]);
  });

  it('still sends a waiting request once the in-flight one is answered', () => {
    const q = queue(1);
    const sent: number[] = [];
    q.push(request(1, sent));
    q.push(request(2, sent));
    expect(sent).toEqual([1]);
    q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
    q.destroy();
  });

  it('still sends a waiting request when the broker’s throttle ends, with no answer to trigger it', () => {
    const q = queue(null);
    const sent: number[] = [];
    q.maybeThrottle(200);
    q.push(request(1, sent));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(150);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(60);
    expect(sent).toEqual([1]);
    expect(q.pending).toHaveLength(0);
    vi.advanceTimersByTime(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
