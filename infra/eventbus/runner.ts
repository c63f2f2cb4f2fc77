/**
 * The delivery loop of the durable bus: `concurrency` workers, each claiming the delivery due longest
 * (`FOR UPDATE SKIP LOCKED`, in a transaction of its own), invoking the rule's target through serverless-offline's
 * Lambda Invoke API, and committing what delivery.ts decides: delivered, a retry at a later time, or a dead
 * letter. The row stays locked while the target runs, so two workers (or two buses on one database) never
 * deliver it at once, and a crash releases it for the next start: delivery is at least once.
 *
 * Workers sleep until `wake()` (a PutEvents just committed), the due time of a retry they scheduled, or the
 * poll interval (deliveries this process did not announce: redrives from the CLI, leftovers of a crash).
 */
import type pg from 'pg';
import { errorText } from '../../lib/errors.ts';
import { type InvokeOutcome, type InvokeRequest, invokeLambda } from '../../lib/lambda-invoke.ts';
import {
  deadLetterAttributes,
  deliveryError,
  formatAttempt,
  type Settlement,
  settle,
  targetGone,
} from './delivery.ts';
import { type BusSettings, inputFor, type Rule } from './options.ts';
import {
  type ClaimedDelivery,
  claimDue,
  markDelivered,
  moveToDeadLetters,
  pruneDelivered,
  scheduleRetry,
  transaction,
} from './store.ts';

/** What the runner needs; the clock, randomness and invocation can be replaced in tests. */
export interface RunnerOptions {
  pool: pg.Pool;
  rules: readonly Rule[];
  settings: Pick<
    BusSettings,
    | 'concurrency'
    | 'pollIntervalMs'
    | 'retryBaseDelayMs'
    | 'retryMaxDelayMs'
    | 'retainDeliveredSeconds'
    | 'shutdownTimeoutMs'
  >;
  /** Base URL of serverless-offline's Lambda Invoke API. */
  lambdaEndpoint: string;
  log: (line: string) => void;
  warn: (line: string) => void;
  now?: () => Date;
  random?: () => number;
  invoke?: (request: InvokeRequest) => Promise<InvokeOutcome>;
}

/** A running delivery loop. */
export interface DeliveryRunner {
  /** Looks for due deliveries now (a PutEvents has just committed some). */
  wake(): void;
  /** Stops claiming, waits for deliveries in flight (up to the shutdown timeout); the rest stay pending. */
  stop(): Promise<void>;
}

/** How often delivered events are pruned from the journal. */
const pruneEveryMs = 60_000;

/** Starts the workers. */
export function startDeliveries(options: RunnerOptions): DeliveryRunner {
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  const invoke = options.invoke ?? invokeLambda;
  const byTarget = new Map(options.rules.map((rule) => [`${rule.ruleArn} ${rule.targetArn}`, rule]));
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  let failing = false;

  const wake = () => {
    for (const resolve of waiters) resolve();
    waiters.clear();
  };
  const wakeAt = (at: Date) => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        wake();
      },
      Math.max(0, at.getTime() - now().getTime()),
    );
    timer.unref();
    timers.add(timer);
  };
  const idle = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.settings.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });

  /** Claims and settles one due delivery; false when none was due. */
  async function deliverOne(): Promise<boolean> {
    const settled = await transaction(options.pool, async (client) => {
      const claimed = await claimDue(client, now());
      if (!claimed) return undefined;
      const rule = byTarget.get(`${claimed.ruleArn} ${claimed.targetArn}`);
      const started = performance.now();
      const settlement = rule
        ? await attempt(claimed, rule)
        : ({ kind: 'dead', error: targetGone(claimed.ruleArn, claimed.targetArn) } satisfies Settlement);
      const attempts = claimed.attempts + (rule ? 1 : 0);
      await record(client, claimed, attempts, settlement);
      const label = {
        functionKey: rule?.functionKey ?? claimed.targetArn,
        detailType: claimed.event['detail-type'],
        eventId: claimed.eventId,
      };
      return { settlement, line: formatAttempt(label, attempts, performance.now() - started, settlement) };
    });
    if (!settled) return false;
    // Logged after COMMIT, so a line never reports what a failed commit undid.
    options.log(settled.line);
    if (settled.settlement.kind === 'retry') wakeAt(settled.settlement.dueAt);
    return true;
  }

  async function attempt(claimed: ClaimedDelivery, rule: Rule): Promise<Settlement> {
    const outcome = await invoke({
      endpoint: options.lambdaEndpoint,
      functionName: rule.functionName,
      event: inputFor(rule, claimed.event),
      timeoutMs: rule.invokeTimeoutMs,
    });
    return settle(
      {
        attempts: claimed.attempts + 1,
        pendingSince: claimed.pendingSince,
        error: outcome.ok ? undefined : deliveryError(outcome),
      },
      rule.retryPolicy,
      options.settings,
      now(),
      random(),
    );
  }

  async function record(
    client: pg.PoolClient,
    claimed: ClaimedDelivery,
    attempts: number,
    settlement: Settlement,
  ): Promise<void> {
    if (settlement.kind === 'delivered') return markDelivered(client, claimed);
    if (settlement.kind === 'retry') {
      return scheduleRetry(client, claimed, {
        attempts,
        dueAt: settlement.dueAt,
        errorCode: settlement.error.code,
        errorMessage: settlement.error.message,
      });
    }
    const attributes = deadLetterAttributes({ ...claimed, attempts }, settlement);
    return moveToDeadLetters(client, claimed, attributes, now());
  }

  /** A failure of PostgreSQL is reported once, and its end once. */
  function reportFailure(error: unknown) {
    if (failing) return;
    failing = true;
    options.warn(
      `cannot reach PostgreSQL (${errorText(error)}); deliveries wait, and are tried every ${options.settings.pollIntervalMs} ms`,
    );
  }
  function reportRecovery() {
    if (!failing) return;
    failing = false;
    options.log('PostgreSQL is reachable again; deliveries resume');
  }

  async function work(): Promise<void> {
    while (!stopping) {
      let delivered = false;
      try {
        delivered = await deliverOne();
        reportRecovery();
      } catch (error) {
        reportFailure(error);
      }
      if (!delivered && !stopping) await idle();
    }
  }

  const prune = setInterval(() => {
    const before = new Date(now().getTime() - options.settings.retainDeliveredSeconds * 1000);
    pruneDelivered(options.pool, before).catch((error: unknown) => reportFailure(error));
  }, pruneEveryMs);
  prune.unref();

  const workers = Array.from({ length: options.settings.concurrency }, () => work());
  return {
    wake,
    async stop() {
      stopping = true;
      clearInterval(prune);
      for (const timer of timers) clearTimeout(timer);
      wake();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.all(workers).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), options.settings.shutdownTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        options.warn(
          `deliveries still in flight after ${options.settings.shutdownTimeoutMs} ms; they stay pending and are delivered after the next start`,
        );
      }
    },
  };
}
