/**
 * The durable bus's answer to one `PutEvents` call, decided before anything is written: each valid entry
 * becomes an event with a fresh id, and one pending delivery per enabled rule whose bus and pattern match it,
 * as EventBridge evaluates rules when it ingests an event. Pure: ids and the time come in as arguments; bus.ts
 * commits the plan and only then answers with its results.
 */
import { type Rule, ruleMatches } from './options.ts';
import { type BusEvent, busEventOf, type CheckedEntry, type EntryResult } from './protocol.ts';
import type { AcceptedEvent } from './store.ts';

/** What one call will write, and what it answers once that is committed. */
export interface AcceptPlan {
  /** One per entry, in request order. */
  results: EntryResult[];
  /** The events to record, with their deliveries. */
  accepted: AcceptedEvent[];
}

/**
 * Plans a call.
 *
 * @param meta.newId - a fresh event id per accepted entry (a UUID, as AWS's EventIds are)
 */
export function planAccept(
  entries: readonly CheckedEntry[],
  rules: readonly Rule[],
  meta: { newId: () => string; receivedAt: Date; account: string; region: string },
): AcceptPlan {
  const accepted: AcceptedEvent[] = [];
  const results = entries.map((checked): EntryResult => {
    if (!checked.ok) return checked.result;
    const event: BusEvent = busEventOf(checked.entry, {
      id: meta.newId(),
      receivedAt: meta.receivedAt,
      account: meta.account,
      region: meta.region,
    });
    const targets = rules
      .filter((rule) => ruleMatches(rule, checked.entry.busName, event))
      .map((rule) => ({ ruleArn: rule.ruleArn, targetArn: rule.targetArn }));
    accepted.push({ bus: checked.entry.busName, event, targets });
    return { EventId: event.id };
  });
  return { results, accepted };
}

/**
 * One log line per call, e.g. `PutEvents on default: 2 accepted (UsersFetched → store-users ×2)` or
 * `… 1 accepted (Other → no rule), 1 failed (MalformedDetail)`.
 */
export function formatAccepted(
  plan: AcceptPlan,
  rules: readonly Pick<Rule, 'ruleArn' | 'functionKey'>[],
): string {
  const byRule = new Map(rules.map((r) => [r.ruleArn, r.functionKey]));
  const routes = new Map<string, number>();
  for (const { event, targets } of plan.accepted) {
    const to = targets.map((t) => byRule.get(t.ruleArn) ?? t.ruleArn).join(', ') || 'no rule';
    const key = `${event['detail-type']} → ${to}`;
    routes.set(key, (routes.get(key) ?? 0) + 1);
  }
  const failures = plan.results.flatMap((r) => ('ErrorCode' in r ? [r.ErrorCode] : []));
  const buses = [...new Set(plan.accepted.map((a) => a.bus))].join(', ') || 'no bus';
  const accepted = `${plan.accepted.length} accepted (${[...routes].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join('; ')})`;
  return `PutEvents on ${buses}: ${plan.accepted.length > 0 ? accepted : 'none accepted'}${
    failures.length > 0 ? `, ${failures.length} failed (${[...new Set(failures)].join(', ')})` : ''
  }`;
}
