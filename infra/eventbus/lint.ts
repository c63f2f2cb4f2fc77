/**
 * Warnings about `eventBridge` events that AWS or the local bus will not treat as written, each naming the
 * function and the event. Pure: the plugin prints them on `sls offline start`, on `sls package`, and on demand
 * (`npx sls offline-eventbridge`).
 */
import { describeProblem } from '../../lib/event-pattern.ts';
import { awsRetryDefaults, type Rule } from './options.ts';

/** The warnings for one rule. */
export function lintRule(rule: Rule): string[] {
  const where = `functions.${rule.functionKey}.events[${rule.index}].eventBridge`;
  const raw = rule.raw;
  const warnings: string[] = [];
  for (const problem of rule.pattern?.problems ?? []) {
    warnings.push(
      problem.kind === 'unsupported'
        ? `${where}.pattern.${describeProblem(problem)}`
        : `${where}.pattern.${describeProblem(problem)}; AWS refuses this pattern, and it never matches locally`,
    );
  }
  for (const reason of rule.inert) {
    if (!reason.startsWith('its pattern'))
      warnings.push(`${where}: ${reason}; the local bus never delivers to it`);
  }
  if (!rule.enabled) warnings.push(`${where}: enabled is false; the local bus does not deliver to it either`);
  // osls leaves a key resolved to null (`${param:X, null}` on a stage without X) as null: unset, as on AWS.
  if (raw.retryPolicy === undefined || raw.retryPolicy === null) {
    warnings.push(
      `${where}: no retryPolicy; EventBridge's defaults apply (${awsRetryDefaults.maximumRetryAttempts} retries over ${awsRetryDefaults.maximumEventAgeSeconds / 3600} h), locally too`,
    );
  }
  warnings.push(
    raw.deadLetterQueueArn === undefined || raw.deadLetterQueueArn === null
      ? `${where}: no deadLetterQueueArn; on AWS an event whose retries run out is dropped, locally it is dead-lettered (npm run eventbus -- dead-letters)`
      : `${where}.deadLetterQueueArn: the queue is not emulated; locally dead letters stay in the bus's own table (npm run eventbus -- dead-letters)`,
  );
  return warnings;
}
