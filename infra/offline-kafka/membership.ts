/**
 * The watch that gets a consumer out of a state kafkajs (2.2.4) cannot leave by itself: fetching without being
 * a member of its group.
 *
 * When the broker has forgotten the member (its session expired while the broker, or this process, was
 * frozen), kafkajs clears its member id and rejoins. If that rejoin fails with a retriable error, as it does
 * while a resumed broker is still loading its groups, kafkajs's runner retries by fetching again, still without
 * a member id: it no longer heartbeats, so nothing ever tells it to rejoin, and every commit is refused with
 * UNKNOWN_MEMBER_ID. The records are delivered, but their offsets are never committed, for as long as the
 * process runs.
 *
 * A commit refused because the group does not know the member starts a countdown; a join of the group, or a
 * commit it accepts, stops it. The countdown is the group's rebalance timeout, the longest a join may legitimately take, so a rejoin in
 * progress is never interrupted; when it runs out, the caller replaces the consumer.
 */

/** Whether a commit failed because the group does not know this member (or kafkajs wrapped such an error). */
export function isUnknownMember(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if ('type' in e && e.type === 'UNKNOWN_MEMBER_ID') return true;
    e = 'originalError' in e ? e.originalError : e.cause;
  }
  return false;
}

/** What the watch needs: the countdown, what to do when it runs out, and a timer (faked in tests). */
export interface MembershipWatchOptions {
  /** The consumer's rebalance timeout, in ms. */
  timeoutMs: number;
  /** Called once per countdown that runs out. */
  onStale: () => void;
  /** Calls `fn` after `ms` unless the returned function is called first. */
  startTimer?: (fn: () => void, ms: number) => () => void;
}

/** A running watch. */
export interface MembershipWatch {
  /** A commit failed with `error`: starts the countdown if the group no longer knows the member. */
  commitFailed(error: unknown): void;
  /** The group accepted a commit, or the consumer joined it: the member is known, the countdown stops. */
  known(): void;
  /** Stops the countdown for good (the consumer is shutting down). */
  stop(): void;
}

/** Starts a watch with no countdown running. */
export function createMembershipWatch(options: MembershipWatchOptions): MembershipWatch {
  const startTimer =
    options.startTimer ??
    ((fn: () => void, ms: number) => {
      const timer = setTimeout(fn, ms);
      timer.unref();
      return () => clearTimeout(timer);
    });
  let cancelTimer: (() => void) | undefined;
  let stopped = false;

  const cancel = () => {
    cancelTimer?.();
    cancelTimer = undefined;
  };

  return {
    commitFailed(error) {
      if (stopped || cancelTimer !== undefined || !isUnknownMember(error)) return;
      cancelTimer = startTimer(() => {
        cancelTimer = undefined;
        options.onStale();
      }, options.timeoutMs);
    },
    known: cancel,
    stop() {
      stopped = true;
      cancel();
    },
  };
}
