/**
 * The durable local EventBridge: the `PutEvents` endpoint (http.ts, protocol.ts) over the PostgreSQL store
 * (store.ts), and the delivery loop (runner.ts). A call is answered only after its accepted entries and one
 * pending delivery per matching rule target are committed, so once `PutEvents` has answered, each event is
 * delivered at least once or dead-lettered, across crashes and restarts: AWS's promise, kept locally.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { errorText } from '../../lib/errors.ts';
import { formatAccepted, planAccept } from './accept.ts';
import { listenPutEvents } from './http.ts';
import type { BusPostgres, BusSettings, Rule } from './options.ts';
import { type DeliveryRunner, startDeliveries } from './runner.ts';
import { acceptEvents, busCounts, busSchema, ensureSchema } from './store.ts';

/** What the bus needs to start. */
export interface BusOptions {
  settings: BusSettings;
  rules: readonly Rule[];
  region: string;
  /** Base URL of serverless-offline's Lambda Invoke API. */
  lambdaEndpoint: string;
  log: (line: string) => void;
  warn: (line: string) => void;
}

/** A running bus. */
export interface DurableBus {
  endpoint: string;
  stop(): Promise<void>;
}

/** The pool of the bus's own connections: plain (the local server speaks no TLS), one per worker and two more. */
export function busPool(postgres: BusPostgres, max: number): pg.Pool {
  return new pg.Pool({
    host: postgres.host,
    port: postgres.port,
    user: postgres.user,
    password: postgres.password,
    database: postgres.database,
    ssl: false,
    max,
    connectionTimeoutMillis: 5000,
    application_name: 'local-eventbridge',
  });
}

/** `127.0.0.1:5432/pipeline`, for messages. */
export function describePostgres(postgres: BusPostgres): string {
  return `${postgres.host}:${postgres.port}/${postgres.database}`;
}

/**
 * Starts the endpoint and the deliveries. The schema is created at start; if PostgreSQL cannot be reached
 * then, the endpoint still listens and fails each call with `InternalException` (the caller retries, as it
 * would on AWS) until it can.
 *
 * @throws when the endpoint's port cannot be bound
 */
export async function startDurableBus(options: BusOptions): Promise<DurableBus> {
  const { settings } = options;
  const where = describePostgres(settings.postgres);
  const pool = busPool(settings.postgres, settings.concurrency + 2);
  // An idle connection that the server closes must not crash serverless-offline's process.
  pool.on('error', (error) => options.warn(`PostgreSQL connection lost: ${errorText(error)}`));

  let schema: Promise<void> | undefined;
  const ready = () => {
    schema ??= ensureSchema(pool).catch((error: unknown) => {
      schema = undefined;
      throw new Error(`the local EventBridge cannot use PostgreSQL at ${where}: ${errorText(error)}`, {
        cause: error,
      });
    });
    return schema;
  };

  let runner: DeliveryRunner | undefined;
  const endpoint = await listenPutEvents({
    host: settings.host,
    port: settings.port,
    accept: async (entries) => {
      await ready();
      const receivedAt = new Date();
      const plan = planAccept(entries, options.rules, {
        newId: randomUUID,
        receivedAt,
        account: settings.account,
        region: options.region,
      });
      await acceptEvents(pool, plan.accepted, receivedAt);
      options.log(formatAccepted(plan, options.rules));
      runner?.wake();
      return plan.results;
    },
    onError: (error) => options.warn(`PutEvents failed whole: ${errorText(error)}`),
  });

  try {
    await ready();
    const counts = await busCounts(pool);
    options.log(
      `PutEvents on ${endpoint.endpoint}; events kept in PostgreSQL ${where}, schema ${busSchema}; ${counts.pending} deliveries pending, ${counts.deadLettered} dead-lettered`,
    );
  } catch (error) {
    options.warn(`${errorText(error)}; PutEvents fails until it can (the caller retries)`);
  }
  runner = startDeliveries({ ...options, pool });
  return {
    endpoint: endpoint.endpoint,
    async stop() {
      await endpoint.close();
      await runner?.stop();
      // A delivery still in flight after the runner's timeout holds its client; the process is ending anyway.
      await Promise.race([
        pool.end().catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 2000).unref()),
      ]);
    },
  };
}
