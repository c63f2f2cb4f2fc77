/**
 * What happens to one delivery (an event for one rule's target) after an attempt, as EventBridge decides it
 * under the target's RetryPolicy: delivered, retried after an exponential backoff with full jitter, or
 * dead-lettered with the attributes AWS puts on a dead-letter message. Pure: the clock and the randomness come
 * in as arguments, and runner.ts does the I/O.
 *
 * Locally the two retry layers AWS has for a Lambda target are folded into one. On AWS, EventBridge invokes a
 * Lambda function asynchronously: its RetryPolicy covers failures to hand the event to Lambda, and the
 * function's own errors are retried by Lambda's asynchronous invocation (twice). Here the function is invoked
 * synchronously, so a function error, a timeout or an unreachable serverless-offline all count as a failed
 * delivery under the rule target's RetryPolicy.
 */
import type { InvokeOutcome } from '../../lib/lambda-invoke.ts';
import type { RetryPolicy } from './options.ts';

/** The ERROR_CODE values of EventBridge's dead-letter messages that the local bus can meet. */
export type DeliveryErrorCode =
  | 'ERROR_FROM_TARGET'
  | 'CONNECTION_FAILURE'
  | 'TIMEOUT'
  | 'THROTTLING'
  | 'INTERNAL_ERROR'
  | 'INVALID_PARAMETER'
  | 'NO_RESOURCE';

/** Why an attempt failed, and whether EventBridge would try again. */
export interface DeliveryError {
  code: DeliveryErrorCode;
  message: string;
  /** False for failures AWS sends straight to the dead-letter queue: a missing target, a refused request. */
  retryable: boolean;
}

/** Which limit of the RetryPolicy ran out: EXHAUSTED_RETRY_CONDITION. */
export type ExhaustedCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

/** What to do with a delivery after an attempt. */
export type Settlement =
  | { kind: 'delivered' }
  | { kind: 'retry'; dueAt: Date; delayMs: number; error: DeliveryError }
  | { kind: 'dead'; error: DeliveryError; condition?: ExhaustedCondition };

/** The attributes AWS puts on a target's dead-letter message, with AWS's names and string values. */
export interface DeadLetterAttributes {
  RULE_ARN: string;
  TARGET_ARN: string;
  ERROR_CODE: DeliveryErrorCode;
  ERROR_MESSAGE: string;
  /** Only when a limit of the RetryPolicy ended the delivery. */
  EXHAUSTED_RETRY_CONDITION?: ExhaustedCondition;
  /** Retries made, not counting the first attempt. */
  RETRY_ATTEMPTS: string;
}

/** The backoff's shape: base × 2^(retry-1), at most the cap, with full jitter. */
export interface Backoff {
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

/**
 * The delay before retry number `retry` (1 for the first retry): a uniformly random fraction of
 * min(cap, base × 2^(retry-1)) ("full jitter").
 *
 * @param random - a number in [0, 1), as Math.random returns
 */
export function backoffMs(retry: number, backoff: Backoff, random: number): number {
  const ceiling = Math.min(backoff.retryMaxDelayMs, backoff.retryBaseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random * ceiling);
}

/** How EventBridge would read a failed invocation. */
export function deliveryError(outcome: Extract<InvokeOutcome, { ok: false }>): DeliveryError {
  const message = `${outcome.errorType}: ${firstLine(outcome.errorMessage)}`;
  switch (outcome.failure) {
    case 'unreachable':
      return { code: 'CONNECTION_FAILURE', message, retryable: true };
    case 'timeout':
      return { code: 'TIMEOUT', message, retryable: true };
    case 'http': {
      const status = outcome.statusCode ?? 500;
      if (status === 404) return { code: 'NO_RESOURCE', message, retryable: false };
      if (status === 429) return { code: 'THROTTLING', message, retryable: true };
      // EventBridge retries 5xx answers and throttling, and no other 4xx.
      if (status >= 500) return { code: 'INTERNAL_ERROR', message, retryable: true };
      return { code: 'INVALID_PARAMETER', message, retryable: false };
    }
    default:
      return { code: 'ERROR_FROM_TARGET', message, retryable: true };
  }
}

/** The error of a delivery whose rule or target is no longer in serverless.yml. */
export function targetGone(ruleArn: string, targetArn: string): DeliveryError {
  return {
    code: 'NO_RESOURCE',
    message: `rule ${ruleArn} with target ${targetArn} is no longer in serverless.yml`,
    retryable: false,
  };
}

/**
 * Decides what follows an attempt.
 *
 * A delivery is dead-lettered for its age only after an attempt has failed: a delivery left pending while the
 * bus was stopped is tried again first, since AWS would have been trying it all along.
 *
 * @param attempt.attempts - attempts made so far, this one included
 * @param attempt.pendingSince - when the delivery became pending (accepted, or re-driven)
 * @param attempt.error - undefined when the attempt succeeded
 */
export function settle(
  attempt: { attempts: number; pendingSince: Date; error: DeliveryError | undefined },
  policy: RetryPolicy,
  backoff: Backoff,
  now: Date,
  random: number,
): Settlement {
  const { error } = attempt;
  if (error === undefined) return { kind: 'delivered' };
  if (!error.retryable) return { kind: 'dead', error };
  const retriesMade = attempt.attempts - 1;
  if (retriesMade >= policy.maximumRetryAttempts) {
    return { kind: 'dead', error, condition: 'MaximumRetryAttempts' };
  }
  const delayMs = backoffMs(retriesMade + 1, backoff, random);
  const dueAt = new Date(now.getTime() + delayMs);
  if (dueAt.getTime() - attempt.pendingSince.getTime() > policy.maximumEventAgeSeconds * 1000) {
    return { kind: 'dead', error, condition: 'MaximumEventAgeInSeconds' };
  }
  return { kind: 'retry', dueAt, delayMs, error };
}

/** The dead-letter attributes of a delivery that ended in `settlement`. */
export function deadLetterAttributes(
  delivery: { ruleArn: string; targetArn: string; attempts: number },
  settlement: Extract<Settlement, { kind: 'dead' }>,
): DeadLetterAttributes {
  return {
    RULE_ARN: delivery.ruleArn,
    TARGET_ARN: delivery.targetArn,
    ERROR_CODE: settlement.error.code,
    ERROR_MESSAGE: settlement.error.message,
    ...(settlement.condition ? { EXHAUSTED_RETRY_CONDITION: settlement.condition } : {}),
    RETRY_ATTEMPTS: String(Math.max(0, delivery.attempts - 1)),
  };
}

/** Who a log line is about: the function, the event's detail type and id. */
export interface DeliveryLabel {
  functionKey: string;
  detailType: string;
  eventId: string;
}

/**
 * One log line per attempt, e.g. `store-users ← UsersFetched 3f2a…: delivered in 41 ms (attempt 1)` or
 * `… ERROR_FROM_TARGET TransientError: … (attempt 2); retry 2 in 3.4 s`.
 */
export function formatAttempt(
  label: DeliveryLabel,
  attempts: number,
  durationMs: number,
  settlement: Settlement,
): string {
  const head = `${label.functionKey} ← ${label.detailType} ${label.eventId}`;
  if (settlement.kind === 'delivered') {
    return `${head}: delivered in ${Math.round(durationMs)} ms (attempt ${attempts})`;
  }
  const failure = `${settlement.error.code} ${settlement.error.message} (attempt ${attempts})`;
  if (settlement.kind === 'retry') {
    return `${head}: ${failure}; retry ${attempts} in ${seconds(settlement.delayMs)}`;
  }
  const why = settlement.condition ?? (settlement.error.retryable ? 'stopped' : 'not retryable');
  return `${head}: ${failure}; DEAD-LETTERED (${why}); see npm run eventbus -- dead-letters`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function firstLine(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  return first.length > 500 ? `${first.slice(0, 500)}…` : first;
}
