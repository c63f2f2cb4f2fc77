/**
 * Provisioned mode's pollers, as far as they show from the function: at most `maximumPollers` invocations of
 * one mapping in flight at once, across its partitions (each partition still has at most one). A partition
 * whose batch is ready while every poller is busy waits its turn, first come first served, as a partition
 * waits for the poller that owns it on AWS. No I/O: the runner wraps each invocation in {@link PollerSlots.run}.
 *
 * `minimumPollers` has nothing to emulate: AWS keeps that many pollers warm and scales between the bounds on
 * the lag, which changes throughput but not what the function sees; one local consumer fetches for them all.
 */

/** A bound on the invocations in flight, with what it has seen. */
export interface PollerSlots {
  /** Runs `work` once a poller is free, holding it until `work` settles. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Invocations in flight now. */
  readonly inFlight: number;
  /** The most invocations that were ever in flight at once. */
  readonly peak: number;
  /** Invocations waiting for a poller now. */
  readonly waiting: number;
}

/**
 * The pollers of one mapping; `max` undefined means on-demand mode, which AWS bounds by the partitions only
 * (one invocation per partition), so nothing waits here.
 */
export function pollerSlots(max: number | undefined): PollerSlots {
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw new RangeError(`maximumPollers must be a whole number of at least 1, not ${max}`);
  }
  let inFlight = 0;
  let peak = 0;
  const queue: Array<() => void> = [];

  const acquire = (): Promise<void> | undefined => {
    if (max === undefined || inFlight < max) {
      inFlight++;
      peak = Math.max(peak, inFlight);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      // The slot passes straight from the releaser to the waiter: inFlight does not change.
      queue.push(resolve);
    });
  };
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else inFlight--;
  };

  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    get waiting() {
      return queue.length;
    },
  };
}
