/**
 * The end-to-end benchmark's load: an open-loop generator that stores users the way store-users does
 * (users_raw plus outbox, one transaction, the store's own SQL) on a fixed schedule. Open loop: what is due
 * at each tick follows from the clock alone, never from how fast the pipeline drains, so a slow pipeline
 * shows up as backlog and latency instead of slowing the load down.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createUserStore } from '../../functions/lib/users-store.ts';
import type { StorableUser } from '../../functions/store-users/core.ts';

/** Milliseconds since the epoch, with sub-millisecond precision. */
export const nowMs = () => performance.timeOrigin + performance.now();

/**
 * Makes `count` new users from templates: each a template with a fresh uuid in its id, payload and message.
 * Cheap (a string replace), so the generator can make hundreds of thousands without generating users.
 */
export function* freshUsers(templates: readonly StorableUser[], count: number): Generator<StorableUser> {
  for (let i = 0; i < count; i++) {
    const template = templates[i % templates.length] as StorableUser;
    const id = randomUUID();
    yield {
      id,
      payload: template.payload.split(template.id).join(id),
      message: template.message.split(template.id).join(id),
    };
  }
}

export interface OpenLoopOptions {
  pool: pg.Pool;
  templates: readonly StorableUser[];
  perSecond: number;
  durationSeconds: number;
  /** How often the schedule is checked; each tick stores what fell due since the last. */
  tickMs?: number;
  /** Inserts in flight at most; beyond that, due users wait for the next tick (and show up as lateness). */
  maxInFlight?: number;
  /** Called after each commit, with the ids and when the commit was acknowledged (store-users would announce). */
  onCommit?: (ids: readonly string[], committedAtMs: number) => void;
  /** Called every tick with the seconds elapsed, for progress. */
  onTick?: (elapsedSeconds: number) => void;
  /** Asked every tick; true ends the schedule early (what is in flight still commits). */
  stop?: () => boolean;
}

export interface OpenLoopResult {
  /** Users the schedule called for. */
  offered: number;
  /** Users committed. */
  committed: number;
  /** Commit time of each user id, in milliseconds since the epoch. */
  commits: Map<string, number>;
  seconds: number;
}

/**
 * Runs the schedule for `durationSeconds`: at each tick, the users due by then go in one insert
 * (transaction), with up to `maxInFlight` inserts at once.
 *
 * @throws the first failed insert's error, after the inserts in flight settle
 */
export async function runOpenLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const tickMs = opts.tickMs ?? 10;
  const maxInFlight = opts.maxInFlight ?? 4;
  const store = createUserStore(opts.pool);
  const total = Math.round(opts.perSecond * opts.durationSeconds);
  const users = freshUsers(opts.templates, total);
  const commits = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let scheduled = 0;
  let batch = 0;
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;

  while (scheduled < total && failure === undefined && !opts.stop?.()) {
    const due = Math.min(total, Math.floor(opts.perSecond * elapsed())) - scheduled;
    if (due > 0 && inFlight.size < maxInFlight) {
      const part: StorableUser[] = [];
      for (let i = 0; i < due; i++) part.push(users.next().value as StorableUser);
      scheduled += due;
      batch++;
      const insert = store
        .insertWithOutbox({
          batchId: `bench-load:${batch}`,
          fetchedAt: new Date().toISOString(),
          users: part,
        })
        .then((ids) => {
          const at = nowMs();
          for (const id of ids) commits.set(id, at);
          opts.onCommit?.(ids, at);
        })
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(insert));
      inFlight.add(insert);
    }
    opts.onTick?.(elapsed());
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return { offered: scheduled, committed: commits.size, commits, seconds: elapsed() };
}
