/**
 * The live view's feed: one reading of every stage each second, the rates between consecutive readings, a
 * ring of the last 15 minutes, and the snapshot every connected page receives (api.ts's LiveSnapshot). The
 * arithmetic (`stageCounts`, `stageRates`, `Ring`) is pure; `startLiveFeed` drives it with the reading, the
 * latency and the errors injected, so one reading serves every connection and /metrics alike.
 */
import type { FunctionError, Latency, LiveSnapshot, StageCounts, StageRates } from './api.ts';
import type { PipelineSummary, StageRead } from './counts.ts';

/** One point of the history: what a snapshot's `history` holds. */
export type HistoryPoint = NonNullable<LiveSnapshot['history']>[number];

/** A reading as the page shows it: every stage, null where it could not be read (or is not a number). */
export function stageCounts(s: PipelineSummary): StageCounts {
  const n = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
  return {
    fetched: n(s.fetched),
    stored: n(s.stored),
    outboxPending: n(s.outboxPending),
    outboxDead: n(s.outboxDead),
    published: n(s.published),
    lag: s.lag ?? null,
    cassandraRows: n(s.cassandraRows),
    deadLetters: n(s.deadLetters),
    busPending: n(s.busPending),
    busDeadLettered: n(s.busDeadLettered),
  };
}

const growing = ['fetched', 'stored', 'published', 'cassandraRows', 'deadLetters'] as const;
type Growing = (typeof growing)[number];

/** When each count was read (ms since the epoch): a paced count can be older than the reading it is in. */
export type CountTimes = Partial<Record<keyof StageCounts, number>>;

/** Which counts each of counts.ts's stage reads gives. */
const countsOfRead: Record<StageRead, ReadonlyArray<keyof StageCounts>> = {
  bus: ['busPending', 'busDeadLettered'],
  outbox: ['outboxPending', 'published', 'outboxDead'],
  stored: ['stored'],
  lag: ['lag'],
  cassandraRows: ['cassandraRows'],
  deadLetters: ['deadLetters'],
};

/**
 * The time of each count, from the time of each stage read; `fetched` is counted as the reading is made, and
 * has no time when it is not counted (`fetchedAt` undefined: a console without `npm start`'s fetch counter).
 */
export function countTimes(
  readAt: Partial<Record<StageRead, number>>,
  fetchedAt: number | undefined,
): CountTimes {
  const times: CountTimes = fetchedAt === undefined ? {} : { fetched: fetchedAt };
  for (const [read, names] of Object.entries(countsOfRead) as Array<[StageRead, Array<keyof StageCounts>]>) {
    const at = readAt[read];
    if (at !== undefined) for (const name of names) times[name] = at;
  }
  return times;
}

/** What the rates are computed from: each growing count's last two distinct readings. */
export interface RateState {
  last: Partial<Record<Growing, { value: number; at: number; rate: number | null }>>;
}

/**
 * Per-second rates of the counts that grow, from each count's own readings: a count read again since the
 * last call gets the rate between its two readings; one served as last read (paced) keeps its rate until it
 * is read again. Null where the count cannot be read now, at its first reading, and where it went down (a
 * reset or a dropped table has no rate worth showing). Pure: returns the state for the next call.
 */
export function stageRates(
  state: RateState,
  counts: StageCounts,
  times: CountTimes,
): { rates: StageRates; state: RateState } {
  const last: RateState['last'] = {};
  const rates = {} as StageRates;
  for (const key of growing) {
    const value = counts[key];
    const at = times[key];
    const before = state.last[key];
    if (value === null || at === undefined) {
      rates[key] = null;
      continue;
    }
    let rate: number | null = null;
    if (before !== undefined && before.at === at) rate = before.rate;
    else if (before !== undefined && at > before.at && value >= before.value)
      rate = (value - before.value) / ((at - before.at) / 1000);
    rates[key] = rate;
    last[key] = { value, at, rate };
  }
  return { rates, state: { last } };
}

/** The last `capacity` items pushed, oldest first. */
export class Ring<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
    this.#items = new Array(capacity);
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** Every item kept, oldest first. */
  items(): T[] {
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    return Array.from({ length: this.#size }, (_, i) => this.#items[(start + i) % this.capacity] as T);
  }

  get size(): number {
    return this.#size;
  }
}

/** What the feed reads each second. */
export interface LiveFeedDeps {
  /**
   * One reading of every stage, with when each count was read; it must not throw (counts.ts leaves out what
   * it cannot read).
   */
  read(): Promise<{ counts: StageCounts; times: CountTimes }>;
  latency(): Latency;
  errors(): FunctionError[];
  /** Whether `errors` comes from the functions' logs at all (false when the console runs on its own). */
  functionLogs: boolean;
  now(): Date;
  /** Called with each new snapshot, after the subscribers (for /metrics). */
  onSnapshot?(snapshot: LiveSnapshot): void;
  /** Milliseconds between readings (1000). */
  intervalMs?: number;
  /** Points of history kept (900: 15 minutes of 1 s points). */
  historyPoints?: number;
}

/** The running feed. */
export interface LiveFeed {
  /**
   * Calls `listener` with every snapshot from now on; the first it receives carries the history. A snapshot
   * is sent at once when one has been read already. Returns the unsubscribe function.
   */
  subscribe(listener: (snapshot: LiveSnapshot) => void): () => void;
  /** The newest snapshot, without history; undefined before the first reading. */
  latest(): LiveSnapshot | undefined;
  /** Reads once now, outside the schedule (tests, and the first reading at start). */
  tick(): Promise<void>;
  stop(): void;
}

/** Starts reading every `intervalMs`; a reading still running when the next is due makes that one skip. */
export function startLiveFeed(deps: LiveFeedDeps): LiveFeed {
  const history = new Ring<HistoryPoint>(deps.historyPoints ?? 900);
  const listeners = new Set<(snapshot: LiveSnapshot) => void>();
  const fresh = new WeakSet<(snapshot: LiveSnapshot) => void>();
  let rateState: RateState = { last: {} };
  let newest: LiveSnapshot | undefined;
  let busy: Promise<void> | undefined;

  const withHistory = (snapshot: LiveSnapshot): LiveSnapshot => ({ ...snapshot, history: history.items() });
  const deliver = (listener: (snapshot: LiveSnapshot) => void, snapshot: LiveSnapshot) => {
    try {
      listener(snapshot);
    } catch {
      // One broken connection must not keep the others from their snapshot.
    }
  };

  const read = async () => {
    const { counts, times } = await deps.read();
    const at = deps.now();
    const latency = deps.latency();
    const next = stageRates(rateState, counts, times);
    rateState = next.state;
    const { rates } = next;
    history.push({ at: at.toISOString(), counts, rates, latency });
    const countedAt: LiveSnapshot['countedAt'] = {};
    for (const [name, t] of Object.entries(times))
      countedAt[name as keyof StageCounts] = new Date(t).toISOString();
    newest = {
      at: at.toISOString(),
      counts,
      countedAt,
      rates,
      latency,
      errors: deps.errors(),
      functionLogs: deps.functionLogs,
    };
    for (const listener of listeners) {
      if (fresh.has(listener)) {
        fresh.delete(listener);
        deliver(listener, withHistory(newest));
      } else deliver(listener, newest);
    }
    deps.onSnapshot?.(newest);
  };
  const tick = () => {
    busy ??= read().finally(() => {
      busy = undefined;
    });
    return busy;
  };
  const timer = setInterval(() => {
    // deps.read does not throw (collectSummary leaves out what it cannot read); a bug there must not end
    // the process with an unhandled rejection, only this one reading.
    if (busy === undefined) tick().catch(() => undefined);
  }, deps.intervalMs ?? 1000);

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (newest) deliver(listener, withHistory(newest));
      else fresh.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    latest: () => newest,
    tick,
    stop() {
      clearInterval(timer);
      listeners.clear();
    },
  };
}
