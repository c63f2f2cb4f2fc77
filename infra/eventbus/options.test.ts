import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventBusBackoff, ports } from '../../lib/topology.ts';
import {
  awsRetryDefaults,
  EventBusConfigError,
  inputFor,
  parseSettings,
  resolveRules,
  ruleMatches,
  ruleName,
  type ServiceView,
} from './options.ts';
import type { BusEvent } from './protocol.ts';

const view = (events: unknown[], extra: Partial<ServiceView> = {}): ServiceView => ({
  service: 'svc',
  stage: 'local',
  region: 'eu-west-1',
  account: '000000000000',
  functions: { 'store-users': { name: 'svc-local-store-users', events } },
  ...extra,
});
const pattern = { source: ['realtime-user-pipeline'], 'detail-type': ['UsersFetched'] };
const event: BusEvent = {
  version: '0',
  id: 'e1',
  'detail-type': 'UsersFetched',
  source: 'realtime-user-pipeline',
  account: '000000000000',
  time: '2024-01-01T00:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: { batchId: 's:1', users: [] },
};

/** The one rule of a service with these events. */
function only(events: unknown[], extra: Partial<ServiceView> = {}) {
  const [rule, ...rest] = resolveRules(view(events, extra));
  if (!rule || rest.length > 0) throw new Error('expected exactly one rule');
  return rule;
}

describe('resolveRules', () => {
  it('names the rule and its ARNs as osls and AWS would, on the default bus when none is named', () => {
    const rule = only([{ http: { path: 'x' } }, { eventBridge: { pattern } }]);

    expect(rule).toMatchObject({
      functionKey: 'store-users',
      functionName: 'svc-local-store-users',
      index: 1,
      name: 'svc-local-store-users-rule-2',
      busName: 'default',
      ruleArn: 'arn:aws:events:eu-west-1:000000000000:rule/svc-local-store-users-rule-2',
      targetArn: 'arn:aws:lambda:eu-west-1:000000000000:function:svc-local-store-users',
      enabled: true,
      inert: [],
    });
  });

  it("puts a custom bus in the rule's ARN, from a name or an ARN, and keeps a rule's own name", () => {
    const byName = only([{ eventBridge: { pattern, eventBus: 'orders', name: 'my-rule' } }]);
    const byArn = only([
      { eventBridge: { pattern, eventBus: 'arn:aws:events:eu-west-1:123456789012:event-bus/orders' } },
    ]);

    expect(byName.ruleArn).toBe('arn:aws:events:eu-west-1:000000000000:rule/orders/my-rule');
    expect(byArn.busName).toBe('orders');
  });

  it("reads the retryPolicy osls deploys, each key falling back to EventBridge's default", () => {
    const set = only([
      { eventBridge: { pattern, retryPolicy: { maximumRetryAttempts: 3, maximumEventAge: 120 } } },
    ]);
    const half = only([{ eventBridge: { pattern, retryPolicy: { maximumRetryAttempts: 0 } } }]);
    const none = only([{ eventBridge: { pattern } }]);

    expect(set.retryPolicy).toEqual({ maximumRetryAttempts: 3, maximumEventAgeSeconds: 120 });
    expect(half.retryPolicy).toEqual({ maximumRetryAttempts: 0, maximumEventAgeSeconds: 86_400 });
    expect(none.retryPolicy).toEqual({ maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 });
    expect(awsRetryDefaults).toEqual({ maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 });
  });

  it('reads a retryPolicy given as strings (from environment variables), and refuses one outside AWS bounds', () => {
    const strings = only([
      { eventBridge: { pattern, retryPolicy: { maximumRetryAttempts: '4', maximumEventAge: '600' } } },
    ]);
    const tooMany = only([{ eventBridge: { pattern, retryPolicy: { maximumRetryAttempts: 500 } } }]);

    expect(strings.retryPolicy).toEqual({ maximumRetryAttempts: 4, maximumEventAgeSeconds: 600 });
    expect(tooMany.inert).toEqual([expect.stringContaining('retryPolicy: maximumRetryAttempts')]);
    expect(ruleMatches(tooMany, 'default', event)).toBe(false);
  });

  it("gives an invocation the function's timeout (or the provider's, or Lambda's 6 s) and a margin", () => {
    const own = resolveRules({
      ...view([]),
      timeout: 20,
      functions: { f: { timeout: 30, events: [{ eventBridge: { pattern } }] } },
    });
    const provider = resolveRules({
      ...view([]),
      timeout: 20,
      functions: { f: { events: [{ eventBridge: { pattern } }] } },
    });
    const lambda = only([{ eventBridge: { pattern } }]);

    expect(own[0]?.invokeTimeoutMs).toBe(45_000);
    expect(provider[0]?.invokeTimeoutMs).toBe(35_000);
    expect(lambda.invokeTimeoutMs).toBe(21_000);
  });

  it('marks as inert what the local bus cannot emulate, and says why', () => {
    const cfBus = only([{ eventBridge: { pattern, eventBus: { Ref: 'Bus' } } }]);
    const scheduled = only([{ eventBridge: { schedule: 'rate(1 minute)' } }]);
    const transformed = only([{ eventBridge: { pattern, inputTransformer: { inputTemplate: '"x"' } } }]);
    const jsonPath = only([{ eventBridge: { pattern, inputPath: '$.detail[0]' } }]);

    expect(cfBus.inert).toEqual([expect.stringContaining('eventBus is CloudFormation')]);
    expect(scheduled.inert).toEqual([
      expect.stringContaining('schedule on an eventBridge event is not emulated'),
    ]);
    expect(transformed.inert).toEqual([expect.stringContaining('inputTransformer')]);
    expect(jsonPath.inert).toEqual([expect.stringContaining('inputPath')]);
    for (const rule of [cfBus, scheduled, transformed, jsonPath])
      expect(ruleMatches(rule, 'default', event)).toBe(false);
  });

  it('ignores events that are not eventBridge events', () => {
    expect(resolveRules(view([{ schedule: { rate: 'rate(1 minute)' } }, { http: {} }]))).toEqual([]);
  });
});

describe('ruleName', () => {
  // osls's own naming, required from the installed osls: the local RULE_ARN must be the deployed one.
  const osls = z
    .object({
      makeAndHashRuleName: z.function({
        input: [z.object({ functionName: z.string(), index: z.number() })],
        output: z.string(),
      }),
    })
    .parse(
      createRequire(import.meta.url)(
        'serverless/lib/plugins/aws/package/compile/events/event-bridge/utils.js',
      ),
    );

  it.each([
    ['realtime-user-pipeline-local-store-users', 1],
    ['realtime-user-pipeline-prod-publish-users', 3],
    ['a-function-name-so-long-that-the-rule-name-is-over-sixty-four-characters', 2],
  ])('names %s event %i as osls does', (functionName, position) => {
    expect(ruleName(functionName, position)).toBe(
      osls.makeAndHashRuleName({ functionName, index: position }),
    );
  });
});

describe('ruleMatches', () => {
  it('matches an event on the rule’s bus that its pattern matches', () => {
    const rule = only([{ eventBridge: { pattern } }]);

    expect(ruleMatches(rule, 'default', event)).toBe(true);
    expect(ruleMatches(rule, 'orders', event)).toBe(false);
    expect(ruleMatches(rule, 'default', { ...event, 'detail-type': 'UsersStored' })).toBe(false);
  });

  it('never matches a disabled rule, or one whose pattern has problems', () => {
    const disabled = only([{ eventBridge: { pattern, enabled: false } }]);
    const cidr = only([{ eventBridge: { pattern: { detail: { ip: [{ cidr: '10.0.0.0/8' }] } } } }]);

    expect(ruleMatches(disabled, 'default', event)).toBe(false);
    expect(ruleMatches(cidr, 'default', { ...event, detail: { ip: '10.0.0.1' } })).toBe(false);
  });
});

describe('inputFor', () => {
  it('sends the event, a constant input, or the part inputPath selects', () => {
    const whole = only([{ eventBridge: { pattern } }]);
    const constant = only([{ eventBridge: { pattern, input: { hello: 'world' } } }]);
    const detail = only([{ eventBridge: { pattern, inputPath: '$.detail.batchId' } }]);
    const root = only([{ eventBridge: { pattern, inputPath: '$' } }]);

    expect(inputFor(whole, event)).toBe(event);
    expect(inputFor(constant, event)).toEqual({ hello: 'world' });
    expect(inputFor(detail, event)).toBe('s:1');
    expect(inputFor(root, event)).toBe(event);
  });
});

describe('parseSettings', () => {
  const postgres = { host: '127.0.0.1', port: '5432', user: '', database: 'pipeline' };

  it('takes the defaults: the stack port, the backoff that spreads 185 retries over 24 h, 8 in flight', () => {
    const settings = parseSettings({ postgres });

    expect(settings).toMatchObject({
      port: ports.eventBus,
      host: '127.0.0.1',
      account: '000000000000',
      concurrency: 8,
      pollIntervalMs: 1000,
      retryBaseDelayMs: eventBusBackoff.baseDelayMs,
      retryMaxDelayMs: eventBusBackoff.maxDelayMs,
      postgres: { host: '127.0.0.1', port: 5432, database: 'pipeline' },
    });
    expect(settings.postgres.user).toBeUndefined();
  });

  it('reads the strings serverless.yml resolves from the environment as numbers', () => {
    const settings = parseSettings({
      port: '14010',
      postgres,
      retryBaseDelayMs: '50',
      retryMaxDelayMs: '200',
    });

    expect(settings).toMatchObject({ port: 14010, retryBaseDelayMs: 50, retryMaxDelayMs: 200 });
  });

  it('names the setting to fix', () => {
    expect(() => parseSettings({})).toThrow(EventBusConfigError);
    expect(() => parseSettings({})).toThrow(/custom.offlineEventBridge: postgres/);
    expect(() => parseSettings({ postgres: { ...postgres, port: 'x' } })).toThrow(/postgres.port/);
  });
});
