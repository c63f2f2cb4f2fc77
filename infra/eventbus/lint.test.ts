import { describe, expect, it } from 'vitest';
import { lintRule } from './lint.ts';
import { resolveRules } from './options.ts';

const where = 'functions.f.events[0].eventBridge';
const pattern = { source: ['app'] };
const retryPolicy = { maximumRetryAttempts: 5, maximumEventAge: 3600 };
const dlq = 'arn:aws:sqs:eu-west-1:123456789012:f-dlq';

function lint(eventBridge: Record<string, unknown>): string[] {
  const [rule] = resolveRules({
    service: 's',
    stage: 'local',
    region: 'eu-west-1',
    account: '000000000000',
    functions: { f: { events: [{ eventBridge }] } },
  });
  if (!rule) throw new Error('no rule');
  return lintRule(rule);
}

describe('lintRule', () => {
  it('says only where dead letters go when the rule is fully emulated', () => {
    expect(lint({ pattern, retryPolicy, deadLetterQueueArn: dlq })).toEqual([
      `${where}.deadLetterQueueArn: the queue is not emulated; locally dead letters stay in the bus's own table (npm run eventbus -- dead-letters)`,
    ]);
  });

  it('says that AWS drops what the local bus dead-letters when there is no deadLetterQueueArn, and which retry policy applies', () => {
    expect(lint({ pattern })).toEqual([
      `${where}: no retryPolicy; EventBridge's defaults apply (185 retries over 24 h), locally too`,
      `${where}: no deadLetterQueueArn; on AWS an event whose retries run out is dropped, locally it is dead-lettered (npm run eventbus -- dead-letters)`,
    ]);
  });

  it('reads a key serverless.yml resolved to null as unset', () => {
    expect(lint({ pattern, retryPolicy, deadLetterQueueArn: null })).toEqual([
      `${where}: no deadLetterQueueArn; on AWS an event whose retries run out is dropped, locally it is dead-lettered (npm run eventbus -- dead-letters)`,
    ]);
  });

  it('warns about pattern operators that are not emulated and patterns AWS refuses, which never match', () => {
    const warnings = lint({
      pattern: { detail: { ip: [{ cidr: '10.0.0.0/8' }], n: [{ numeric: ['<', 1, '>', 0] }] } },
      retryPolicy,
      deadLetterQueueArn: dlq,
    });

    expect(warnings.slice(0, 2)).toEqual([
      `${where}.pattern.detail.ip[0]: operator "cidr" is not emulated and never matches locally`,
      `${where}.pattern.detail.n[0]: "<" cannot start a numeric range; use > or >= first; AWS refuses this pattern, and it never matches locally`,
    ]);
  });

  it('warns about what the local bus does not deliver, and a disabled rule', () => {
    const warnings = lint({
      pattern,
      retryPolicy,
      deadLetterQueueArn: dlq,
      inputTransformer: { inputTemplate: '"x"' },
      enabled: false,
    });

    expect(warnings).toEqual(
      expect.arrayContaining([
        `${where}: inputTransformer (or an inputPath other than $.a.b) is not emulated; the local bus never delivers to it`,
        `${where}: enabled is false; the local bus does not deliver to it either`,
      ]),
    );
  });
});
