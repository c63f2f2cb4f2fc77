import { describe, expect, it } from 'vitest';
import { formatAccepted, planAccept } from './accept.ts';
import { resolveRules } from './options.ts';
import { readPutEvents } from './protocol.ts';

const rules = resolveRules({
  service: 'svc',
  stage: 'local',
  region: 'eu-west-1',
  account: '000000000000',
  functions: {
    'store-users': {
      events: [{ eventBridge: { pattern: { source: ['app'], 'detail-type': ['UsersFetched'] } } }],
    },
    'publish-users': {
      events: [{ eventBridge: { pattern: { source: ['app'], 'detail-type': ['UsersStored'] } } }],
    },
    audit: {
      events: [
        { eventBridge: { pattern: { source: ['app'] } } },
        { eventBridge: { pattern: { source: ['app'] }, eventBus: 'orders' } },
        { eventBridge: { pattern: { source: ['app'] }, enabled: false } },
      ],
    },
  },
});

function plan(...entries: unknown[]) {
  const read = readPutEvents(JSON.stringify({ Entries: entries }));
  if (!read.ok) throw new Error(read.error.message);
  let n = 0;
  return planAccept(read.entries, rules, {
    newId: () => `id-${++n}`,
    receivedAt: new Date('2024-01-01T00:00:00Z'),
    account: '000000000000',
    region: 'eu-west-1',
  });
}
const entry = (detailType: string, more: Record<string, unknown> = {}) => ({
  Source: 'app',
  DetailType: detailType,
  Detail: '{"n":1}',
  ...more,
});
const functionsOf = (targets: ReadonlyArray<{ targetArn: string }>) =>
  targets.map((t) => t.targetArn.split(':function:')[1]).sort();

describe('planAccept', () => {
  it('delivers each event to exactly the enabled rules of its bus whose pattern matches', () => {
    const { accepted } = plan(
      entry('UsersFetched'),
      entry('UsersStored'),
      entry('Other'),
      entry('UsersFetched', { EventBusName: 'orders' }),
    );

    expect(accepted.map((a) => functionsOf(a.targets))).toEqual([
      ['svc-local-audit', 'svc-local-store-users'],
      ['svc-local-audit', 'svc-local-publish-users'],
      ['svc-local-audit'],
      ['svc-local-audit'],
    ]);
    expect(accepted[3]?.targets[0]?.ruleArn).toBe(
      'arn:aws:events:eu-west-1:000000000000:rule/orders/svc-local-audit-rule-2',
    );
  });

  it('accepts an event that matches no rule, as AWS does, and delivers it nowhere', () => {
    const { accepted, results } = plan(entry('Other', { Source: 'elsewhere' }));

    expect(results).toEqual([{ EventId: 'id-1' }]);
    expect(accepted[0]?.targets).toEqual([]);
  });

  it('answers an EventId for each accepted entry and the error of each failed one, in order', () => {
    const { results, accepted } = plan(
      entry('UsersFetched'),
      entry('UsersFetched', { Detail: '[]' }),
      entry('UsersStored'),
    );

    expect(results).toEqual([
      { EventId: 'id-1' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { EventId: 'id-2' },
    ]);
    expect(accepted.map((a) => a.event.id)).toEqual(['id-1', 'id-2']);
    expect(accepted[0]?.event).toMatchObject({
      id: 'id-1',
      'detail-type': 'UsersFetched',
      detail: { n: 1 },
      time: '2024-01-01T00:00:00Z',
    });
  });
});

describe('formatAccepted', () => {
  it('says on one line what was accepted, where it goes, and what failed', () => {
    const line = formatAccepted(
      plan(
        entry('UsersStored'),
        entry('UsersStored'),
        entry('X', { Source: 'y' }),
        entry('Z', { Detail: 'x' }),
      ),
      rules,
    );

    expect(line).toBe(
      'PutEvents on default: 3 accepted (UsersStored → publish-users, audit ×2; X → no rule), 1 failed (MalformedDetail)',
    );
  });
});
