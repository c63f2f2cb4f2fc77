/**
 * kafkajs, fixed: the one place every Kafka client of the repository takes kafkajs' `Kafka` class from (the
 * functions, the local event source, the migrations, the console, `npm start`, the bench and the tests; the lint
 * refuses `Kafka` from `kafkajs` anywhere else). It sits in lib/ although lib/ otherwise holds no client
 * library, because the local Kafka event source may not import the functions' room and still needs the fix.
 *
 * The fix: kafkajs 2.2.4's `RequestQueue.scheduleCheckPendingRequests` arms a timer even when no request waits.
 * Unthrottled, its delay is negative (Node runs it after 1 ms), and the timer calls `checkPendingRequests`, which
 * schedules the next: every open broker connection of every client wakes the event loop about a thousand times
 * a second while idle (kafkajs issues #1556 and #1704; the fix, PR #1667, is not merged). One idle producer and
 * admin cost about 40 ms of CPU a second (bench/results/optimizations.md).
 *
 * The replacement arms the timer only while requests wait, which is when the queue needs it: a request that
 * cannot go at once (too many in flight, or the broker throttled the client) is pushed to `pending` and then
 * scheduled; a fulfilled or timed-out request checks the queue itself. With nothing pending there is nothing
 * to send when a throttle ends. It is applied, once, when this module is first imported, and only to the
 * kafkajs version it was checked against: any other is left as it is, and the unit test then fails so the fix
 * is checked against the new code.
 */
import kafkajsPackage from 'kafkajs/package.json' with { type: 'json' };
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

// biome-ignore lint/style/noRestrictedImports: the one module that re-exports kafkajs' client class.
export { Kafka } from 'kafkajs';

/** The kafkajs version whose request queue this fix was checked against. */
export const patchedKafkajsVersion = '2.2.4';

// kafkajs' own retry interval for a queue with waiting requests (CHECK_PENDING_REQUESTS_INTERVAL).
const checkPendingEveryMs = 10;

interface QueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

function scheduleCheckPendingRequests(this: QueueState): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttled > 0 ? throttled : checkPendingEveryMs,
  );
}

/** Whether the fix is in place (the installed kafkajs is the version it was checked against). */
export const requestQueueFixed: boolean = (() => {
  const prototype = RequestQueue.prototype as { scheduleCheckPendingRequests?: unknown };
  if (typeof prototype.scheduleCheckPendingRequests !== 'function') return false;
  if (kafkajsPackage.version !== patchedKafkajsVersion) return false;
  prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  return true;
})();
