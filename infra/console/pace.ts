/**
 * A read that may cost the pipeline at most a fixed share of the time. The console counts rows with queries
 * that scan whole tables (Cassandra has no cheaper exact count: measured here at about 11 µs of Cassandra CPU
 * per row, a second for 100,000 rows), so a count taken every second would, as the tables grow, take more
 * and more of the servers the pipeline runs on. A {@link PacedRead} waits after each read for as long as that
 * read took, divided by its share: with a 1% share, a count that took 3 ms runs again after 0.3 s (every
 * reading, in practice) and one that took 2 s after 198 s. In between, the last value is served with the
 * time it was read, so the page can say how old it is.
 *
 * Hand-written because the throttling libraries (p-throttle, bottleneck) limit calls per interval, not the
 * share of time a call takes, which is what keeps the cost flat whatever the table's size.
 */

/** A value and when it was read (milliseconds since the epoch, at the end of the read). */
export interface Timed<T> {
  value: T;
  at: number;
}

export interface PaceOptions {
  /** The share of the time the read may take, in (0, 1]: 0.01 is 1%. */
  share: number;
  /**
   * The share the first read is paced at, in (0, 1]; `share` by default. The first read opens the clients'
   * connections, often while the process is still starting, so it takes longer than the reads after it: paced
   * at a small share, a count of an empty table that took 300 ms would not be read again for minutes.
   */
  firstShare?: number;
  /** After a failed read, wait at least this long (ms), and longer if the read took long before it failed. */
  retryMs: number;
  now?: () => number;
}

export class PacedRead<T> {
  readonly #read: () => Promise<T>;
  readonly #share: number;
  readonly #firstShare: number;
  readonly #retryMs: number;
  readonly #now: () => number;
  #last: Timed<T> | undefined;
  #running: Promise<void> | undefined;
  #nextAt = 0;
  #readBefore = false;
  /** When the last read started and ended, to pace a catch-up from it. */
  #lastRead: { started: number; ended: number } | undefined;

  constructor(read: () => Promise<T>, options: PaceOptions) {
    for (const share of [options.share, options.firstShare ?? options.share]) {
      if (!(share > 0 && share <= 1)) throw new RangeError(`share must be in (0, 1], got ${share}`);
    }
    this.#read = read;
    this.#share = options.share;
    this.#firstShare = options.firstShare ?? options.share;
    this.#retryMs = options.retryMs;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The newest value. When a read is due it starts one, and waits for it at most `waitMs`: a quick read lands
   * in this call, a slow one in a later call, so one slow count never holds up the others. Undefined while no
   * read has succeeded, and after a failed one (the stage cannot be read now, and must not look as if it could).
   * `waitMs` may be infinite: wait for the read, however long.
   */
  async get(waitMs: number): Promise<Timed<T> | undefined> {
    if (this.#running === undefined && this.#now() >= this.#nextAt) this.#running = this.#start();
    if (this.#running !== undefined)
      await (waitMs === Number.POSITIVE_INFINITY ? this.#running : within(this.#running, waitMs));
    return this.#last;
  }

  /**
   * Brings the next read forward to when the first share's pacing would allow it, if that is sooner: for a
   * value the caller knows is out of date and can afford to refresh (counts.ts calls it when the pipeline
   * has gone quiet, so there is no throughput left to protect). Even so the read takes at most the first
   * share of the time, so a scan of a huge table is not repeated at every lull.
   */
  catchUp(): void {
    const last = this.#lastRead;
    if (last === undefined || this.#running !== undefined) return;
    this.#nextAt = Math.min(
      this.#nextAt,
      last.ended + restAfter(last.ended - last.started, this.#firstShare),
    );
  }

  /**
   * Whether the last successful read started at or after `time`: only such a read can have seen everything
   * that happened before it (a read ends after it looked).
   */
  startedSince(time: number): boolean {
    // Cleared with the value when a read fails, so it describes the read the value came from.
    return this.#lastRead !== undefined && this.#lastRead.started >= time;
  }

  async #start(): Promise<void> {
    const share = this.#readBefore ? this.#share : this.#firstShare;
    this.#readBefore = true;
    const started = this.#now();
    try {
      const value = await this.#read();
      const ended = this.#now();
      this.#last = { value, at: ended };
      this.#lastRead = { started, ended };
      this.#nextAt = ended + restAfter(ended - started, share);
    } catch {
      const ended = this.#now();
      this.#last = undefined;
      this.#lastRead = undefined;
      // Paced like a success, but never sooner than retryMs: a count that timed out after 10 s of scanning
      // must not scan again five seconds later.
      this.#nextAt = ended + Math.max(this.#retryMs, restAfter(ended - started, share));
    } finally {
      this.#running = undefined;
    }
  }
}

/** The rest after a read that took `elapsed`, so that reading takes `share` of the time. */
function restAfter(elapsed: number, share: number): number {
  return (elapsed * (1 - share)) / share;
}

/** Waits for `promise` (which never rejects) or `ms`, whichever comes first, leaving no timer behind. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
