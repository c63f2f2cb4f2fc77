/**
 * The low-latency profile's relay trigger: it polls the outbox every few milliseconds with a cheap indexed
 * query and, while rows are waiting, invokes publish-users through serverless-offline's Invoke API, one
 * invocation at a time, so the same warm worker serves them all as a warm Lambda would. On AWS the relay
 * is woken by `UsersStored` events and a sweep; this stands in for a trigger with lower delay, which is what
 * the profile measures.
 */
import pg from 'pg';
import { invokeFunction } from '../../infra/dev/offline.ts';

export interface RelayTrigger {
  /** publish-users invocations so far. */
  invocations(): number;
  stop(): Promise<void>;
}

// The first row in the claim's own index order: a walk of outbox_unpublished_idx that stops at one entry.
const pendingSql = `SELECT 1 FROM outbox WHERE published_at IS NULL AND dead_at IS NULL
                     ORDER BY created_at, id LIMIT 1`;

/**
 * Starts polling the outbox every `pollMs` on its own connection. A failed invocation is reported through
 * `onError` and the poll goes on: the relay's own transaction rolled the batch back, so nothing is lost.
 *
 * @param connection - where the outbox is (host, port, user, database)
 */
export async function startRelayTrigger(
  connection: pg.ClientConfig,
  pollMs: number,
  onError: (error: unknown) => void,
): Promise<RelayTrigger> {
  const client = new pg.Client(connection);
  client.on('error', onError);
  await client.connect();
  // As in the relay's claim (functions/lib/outbox.ts): with statistics that lag a fast-filling outbox, the
  // planner would scan every unpublished row for this, 200 times a second.
  await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off');
  let stopped = false;
  let invocations = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        const pending = await client.query(pendingSql);
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
      await client.end();
    },
  };
}
