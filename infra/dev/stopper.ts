/**
 * How `npm start` stops, as a policy with its effects injected: the first stop signal asks serverless-offline's
 * process group to stop and arms a deadline after which the group is killed; a later signal kills it at once.
 * start.ts wires it to the process's signals, its clock and timers, and the group it started.
 */

/** The signals that stop `npm start`: Ctrl-C, a service manager or `kill`, and a closing terminal. */
export const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof stopSignals)[number];

export const stopperDefaults = {
  /** serverless-offline waits up to 30 s for invocations in flight; after this much more it is killed. */
  graceMs: 45_000,
  /**
   * A repeat of the first signal within this window is the same request arriving by another route, not a
   * second one: a closing terminal sends SIGHUP from the shell and again from the kernel, and npm and tsx pass
   * on to their child a signal that the whole process group has already received.
   */
  repeatWindowMs: 1_000,
};
export type StopperOptions = typeof stopperDefaults;

/** What the stopper acts on. */
export interface StopperDeps {
  /** Sends `signal` to serverless-offline's whole process group. */
  signalGroup(signal: 'SIGINT' | 'SIGKILL'): void;
  log(line: string): void;
  /** Milliseconds from any fixed origin. */
  now(): number;
  /** Runs `fn` after `ms`; the timer must not keep the process alive. */
  after(ms: number, fn: () => void): void;
}

/** A stop in progress, or none. */
export interface Stopper {
  /** Handles one received stop signal. */
  onSignal(signal: StopSignal): void;
  readonly stopping: boolean;
  /** Whether the group had to be killed (the grace ran out, or a second signal insisted). */
  readonly forced: boolean;
}

/**
 * Creates the stop policy: the first signal sends SIGINT to the group (serverless-offline then lets invocations
 * in flight finish, and the Kafka event source commits only what finished) and kills the group after
 * `graceMs`; any later signal, other than a repeat of the first within `repeatWindowMs`, kills it at once.
 */
export function createStopper(deps: StopperDeps, options: Partial<StopperOptions> = {}): Stopper {
  const { graceMs, repeatWindowMs } = { ...stopperDefaults, ...options };
  let first: { signal: StopSignal; at: number } | undefined;
  let forced = false;

  const kill = (why: string) => {
    if (forced) return;
    forced = true;
    deps.log(`[start] ${why}: killing serverless-offline's process group`);
    deps.signalGroup('SIGKILL');
  };

  return {
    onSignal(signal) {
      const at = deps.now();
      if (first === undefined) {
        first = { signal, at };
        deps.log(
          `[start] ${signal}: stopping serverless-offline (invocations in flight may finish; nothing else is committed)`,
        );
        deps.signalGroup('SIGINT');
        deps.after(graceMs, () => kill(`still running ${graceMs / 1000} s after ${signal}`));
        return;
      }
      if (signal === first.signal && at - first.at < repeatWindowMs) return;
      kill(`${signal} while stopping`);
    },
    get stopping() {
      return first !== undefined;
    },
    get forced() {
      return forced;
    },
  };
}
