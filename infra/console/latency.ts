/**
 * End-to-end latency, pure: from a user's outbox commit to its Cassandra write, over the users measured in
 * the last minute (see latency-sampler.ts for how they are measured). p50 and p99 by the nearest rank, the
 * benchmark's definition (lib/stats.ts).
 */
import { percentile } from '../../lib/stats.ts';
import type { Latency } from './api.ts';

/** How far back the live p50 and p99 look. */
export const latencyWindowMs = 60_000;

/** The latency of `samples` (milliseconds); nulls with no samples. */
export function latencyOf(samples: readonly number[]): Latency {
  if (samples.length === 0) return { p50Ms: null, p99Ms: null, samples: 0 };
  return { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), samples: samples.length };
}

/** One user's latency: outbox commit → Cassandra write. */
export function latencyMs(createdAt: Date, writeTimeMicros: number): number {
  // A write stamped before the commit can only be clock skew between the two hosts: count it as 0.
  return Math.max(0, writeTimeMicros / 1000 - createdAt.getTime());
}

/** Samples measured within the last {@link latencyWindowMs}, at most `capacity` of them (the newest). */
export class LatencyWindow {
  #samples: Array<{ at: number; ms: number }> = [];

  constructor(readonly capacity = 5000) {}

  add(at: Date, ms: number): void {
    this.#samples.push({ at: at.getTime(), ms });
    if (this.#samples.length > this.capacity) this.#samples.splice(0, this.#samples.length - this.capacity);
  }

  /** The latency over the window ending at `now`. */
  current(now: Date): Latency {
    const since = now.getTime() - latencyWindowMs;
    this.#samples = this.#samples.filter((s) => s.at > since);
    return latencyOf(this.#samples.map((s) => s.ms));
  }
}
