import { describe, expect, it } from 'vitest';
import { eventBusBackoff } from '../../lib/topology.ts';
import {
  backoffMs,
  type DeliveryError,
  deadLetterAttributes,
  deliveryError,
  formatAttempt,
  settle,
  targetGone,
} from './delivery.ts';
import { awsRetryDefaults } from './options.ts';

const backoff = {
  retryBaseDelayMs: eventBusBackoff.baseDelayMs,
  retryMaxDelayMs: eventBusBackoff.maxDelayMs,
};
const policy = { maximumRetryAttempts: 3, maximumEventAgeSeconds: 600 };
const t0 = new Date('2024-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const fromTarget: DeliveryError = {
  code: 'ERROR_FROM_TARGET',
  message: 'TransientError: down',
  retryable: true,
};

describe('backoffMs', () => {
  it('doubles from the base up to the cap, times the random fraction (full jitter)', () => {
    const ceilings = [1, 2, 3, 10, 11, 50].map((retry) => backoffMs(retry, backoff, 0.999_999));

    expect(ceilings).toEqual([999, 1999, 3999, 511_999, 979_999, 979_999]);
  });

  it('stays within [0, ceiling) for any random fraction', () => {
    for (const retry of [1, 4, 9, 30]) {
      const ceiling = Math.min(backoff.retryMaxDelayMs, backoff.retryBaseDelayMs * 2 ** (retry - 1));
      for (const random of [0, 0.25, 0.5, 0.999]) {
        const delay = backoffMs(retry, backoff, random);

        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
        expect(delay).toBe(Math.floor(random * ceiling));
      }
    }
  });

  it("spreads EventBridge's 185 default retries over about 24 hours on average", () => {
    const expected = Array.from({ length: awsRetryDefaults.maximumRetryAttempts }, (_, i) =>
      // The mean of full jitter is half the ceiling.
      backoffMs(i + 1, backoff, 0.5),
    ).reduce((sum, ms) => sum + ms, 0);

    expect(expected / 3_600_000).toBeGreaterThan(23);
    expect(expected / 3_600_000).toBeLessThan(25);
  });

  it('is shortened by the settings tests use', () => {
    expect(backoffMs(5, { retryBaseDelayMs: 50, retryMaxDelayMs: 200 }, 0.999_999)).toBe(199);
  });
});

describe('settle', () => {
  it('delivered when the attempt succeeded', () => {
    expect(settle({ attempts: 1, pendingSince: t0, error: undefined }, policy, backoff, t0, 0.5)).toEqual({
      kind: 'delivered',
    });
  });

  it('retries after the backoff of the retry it schedules', () => {
    const settlement = settle(
      { attempts: 2, pendingSince: t0, error: fromTarget },
      policy,
      backoff,
      at(5000),
      0.5,
    );

    expect(settlement).toEqual({ kind: 'retry', delayMs: 1000, dueAt: at(6000), error: fromTarget });
  });

  it('dead-letters with MaximumRetryAttempts once the retries are used up', () => {
    const last = settle({ attempts: 3, pendingSince: t0, error: fromTarget }, policy, backoff, at(1), 0.5);
    const over = settle({ attempts: 4, pendingSince: t0, error: fromTarget }, policy, backoff, at(1), 0.5);

    expect(last.kind).toBe('retry');
    expect(over).toEqual({ kind: 'dead', error: fromTarget, condition: 'MaximumRetryAttempts' });
  });

  it('dead-letters at once with no retries allowed', () => {
    const none = { maximumRetryAttempts: 0, maximumEventAgeSeconds: 600 };

    expect(
      settle({ attempts: 1, pendingSince: t0, error: fromTarget }, none, backoff, t0, 0.5),
    ).toMatchObject({
      kind: 'dead',
      condition: 'MaximumRetryAttempts',
    });
  });

  it('dead-letters with MaximumEventAgeInSeconds when the next retry would come after the maximum age', () => {
    const settlement = settle(
      { attempts: 1, pendingSince: t0, error: fromTarget },
      policy,
      backoff,
      at(600_000 - 100),
      0.5,
    );

    expect(settlement).toEqual({ kind: 'dead', error: fromTarget, condition: 'MaximumEventAgeInSeconds' });
  });

  it('dead-letters a failure AWS never retries at once, with no condition', () => {
    const gone = targetGone('arn:rule', 'arn:target');

    expect(settle({ attempts: 1, pendingSince: t0, error: gone }, policy, backoff, t0, 0.5)).toEqual({
      kind: 'dead',
      error: gone,
    });
  });
});

describe('deliveryError', () => {
  it.each([
    [
      { failure: 'function', errorType: 'TransientError', errorMessage: 'pg down\n  at x' },
      'ERROR_FROM_TARGET',
      true,
    ],
    [
      { failure: 'unreachable', errorType: 'ServiceUnavailable', errorMessage: 'ECONNREFUSED' },
      'CONNECTION_FAILURE',
      true,
    ],
    [{ failure: 'timeout', errorType: 'TimeoutError', errorMessage: 'no answer' }, 'TIMEOUT', true],
    [{ failure: 'http', statusCode: 429, errorType: 'TooMany', errorMessage: '' }, 'THROTTLING', true],
    [{ failure: 'http', statusCode: 502, errorType: 'HTTP502', errorMessage: '' }, 'INTERNAL_ERROR', true],
    [
      { failure: 'http', statusCode: 404, errorType: 'ResourceNotFoundException', errorMessage: '' },
      'NO_RESOURCE',
      false,
    ],
    [
      { failure: 'http', statusCode: 400, errorType: 'InvalidParameterValueException', errorMessage: '' },
      'INVALID_PARAMETER',
      false,
    ],
  ] as const)('%o is %s', (outcome, code, retryable) => {
    expect(deliveryError({ ok: false, ...outcome })).toMatchObject({ code, retryable });
  });

  it("keeps the error's type and first line", () => {
    expect(
      deliveryError({
        ok: false,
        failure: 'function',
        errorType: 'TransientError',
        errorMessage: 'pg down\n  at x',
      }).message,
    ).toBe('TransientError: pg down');
  });
});

describe('deadLetterAttributes', () => {
  const delivery = {
    ruleArn: 'arn:aws:events:r:0:rule/x',
    targetArn: 'arn:aws:lambda:r:0:function:f',
    attempts: 4,
  };

  it("carries AWS's attribute names, the retries made and the condition that ran out", () => {
    expect(
      deadLetterAttributes(delivery, { kind: 'dead', error: fromTarget, condition: 'MaximumRetryAttempts' }),
    ).toEqual({
      RULE_ARN: 'arn:aws:events:r:0:rule/x',
      TARGET_ARN: 'arn:aws:lambda:r:0:function:f',
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: 'TransientError: down',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '3',
    });
  });

  it('leaves EXHAUSTED_RETRY_CONDITION out when no limit ended the delivery', () => {
    const attributes = deadLetterAttributes(
      { ...delivery, attempts: 1 },
      { kind: 'dead', error: targetGone('a', 'b') },
    );

    expect(attributes).not.toHaveProperty('EXHAUSTED_RETRY_CONDITION');
    expect(attributes).toMatchObject({ ERROR_CODE: 'NO_RESOURCE', RETRY_ATTEMPTS: '0' });
  });
});

describe('formatAttempt', () => {
  const label = { functionKey: 'store-users', detailType: 'UsersFetched', eventId: 'e-1' };

  it('says each outcome on one line', () => {
    expect(formatAttempt(label, 1, 41.2, { kind: 'delivered' })).toBe(
      'store-users ← UsersFetched e-1: delivered in 41 ms (attempt 1)',
    );
    expect(formatAttempt(label, 2, 5, { kind: 'retry', delayMs: 3400, dueAt: t0, error: fromTarget })).toBe(
      'store-users ← UsersFetched e-1: ERROR_FROM_TARGET TransientError: down (attempt 2); retry 2 in 3.4 s',
    );
    expect(
      formatAttempt(label, 4, 5, { kind: 'dead', error: fromTarget, condition: 'MaximumRetryAttempts' }),
    ).toBe(
      'store-users ← UsersFetched e-1: ERROR_FROM_TARGET TransientError: down (attempt 4); DEAD-LETTERED (MaximumRetryAttempts); see npm run eventbus -- dead-letters',
    );
  });
});
