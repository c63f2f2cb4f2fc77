/**
 * The low-latency profile's relay trigger: it polls the outbox every few milliseconds with a cheap indexed
 * query and, while rows are waiting, invokes publish-users through serverless-offline's Invoke API, one
 * invocation at a time, so the same warm worker serves them all as a warm Lambda would. On AWS the relay
 * is woken by `UsersStored` events and a sweep; this stands in for a trigger with lower delay, which is what
 * the profile measures.
 */
import type pg from 'pg';
import { invokeFunction } from './pipeline.ts';

export interface RelayTrigger {
  /** publish-users invocations so far. */
  invocations(): number;
  stop(): Promise<void>;
}

const pendingSql = 'SELECT 1 FROM outbox WHERE published_at IS NULL AND dead_at IS NULL LIMIT 1';

/**
 * Starts polling `pool`'s outbox every `pollMs`. A failed invocation is reported through `onError` and the
 * poll goes on: the relay's own transaction rolled the batch back, so nothing is lost.
 */
export function startRelayTrigger(
  pool: pg.Pool,
  pollMs: number,
  onError: (error: unknown) => void,
): RelayTrigger {
  let stopped = false;
  let invocations = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        const pending = await pool.query(pendingSql);
        if (pending.rowCount !== null && pending.rowCount > 0) {
          invocations++;
          await invokeFunction('publish-users', {});
          continue;
        }
      } catch (error) {
        onError(error);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })();
  return {
    invocations: () => invocations,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
