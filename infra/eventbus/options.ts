/**
 * The rules of the local EventBridge, read from the service's `eventBridge` events with the keys osls deploys
 * (so local and AWS agree), and the bus's own settings from `custom.offlineEventBridge`. Pure: no I/O. The
 * lint (lint.ts), the plugin (plugin.ts) and the delivery runner (runner.ts) all start from
 * {@link resolveRules} and {@link parseSettings}.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { describeIssues, PipelineError } from '../../lib/errors.ts';
import { type CompiledPattern, compilePattern, isJsonObject, type Json } from '../../lib/event-pattern.ts';
import { eventBusBackoff, ports } from '../../lib/topology.ts';
import { type BusEvent, busName } from './protocol.ts';

/** EventBridge's defaults for a target's RetryPolicy, which apply to each key left unset. */
export const awsRetryDefaults = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 } as const;

/** Lambda's default function timeout, in seconds, when neither the function nor the provider sets one. */
const defaultFunctionTimeoutSeconds = 6;

/** The PostgreSQL the bus keeps its events in: the run's database, reached directly (never through a proxy). */
const postgresSchema = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535),
  // serverless.yml gives '' when the stack recorded no user: the driver's default (the OS user) then.
  user: z
    .string()
    .optional()
    .transform((user) => user || undefined),
  database: z.string().min(1),
  password: z.string().optional(),
});
export type BusPostgres = z.output<typeof postgresSchema>;

/** `custom.offlineEventBridge`: where the bus listens and keeps its events, and how it retries. */
export const settingsSchema = z.object({
  /** The PutEvents port; the functions' EVENTBRIDGE_ENDPOINT points here. */
  port: z.coerce.number().int().min(0).max(65535).default(ports.eventBus),
  host: z.string().min(1).default('127.0.0.1'),
  postgres: postgresSchema,
  /** The account in events and ARNs. */
  account: z
    .string()
    .regex(/^\d{12}$/, 'a 12-digit account id')
    .default('000000000000'),
  /** serverless-offline's Lambda Invoke API; defaults to its `lambdaPort`. */
  lambdaEndpoint: z.url().optional(),
  /** Deliveries in flight at once, each holding one PostgreSQL connection. */
  concurrency: z.coerce.number().int().min(1).max(64).default(8),
  /** How often the runner looks for due deliveries that no PutEvents of its own announced (redrives, restarts). */
  pollIntervalMs: z.coerce.number().int().min(10).default(1000),
  /**
   * The backoff between retries: full jitter over base × 2^(retry-1), at most the cap. The defaults spread
   * EventBridge's 185 retries over about 24 hours; tests shorten them.
   */
  retryBaseDelayMs: z.coerce.number().int().min(0).default(eventBusBackoff.baseDelayMs),
  retryMaxDelayMs: z.coerce.number().int().min(0).default(eventBusBackoff.maxDelayMs),
  /** How long a delivered event stays in the journal (the `events` table) before it is pruned. */
  retainDeliveredSeconds: z.coerce.number().int().min(0).default(3600),
  /** How long a stop waits for deliveries in flight; what is left stays pending for the next start. */
  shutdownTimeoutMs: z.coerce.number().int().min(0).default(30_000),
});
export type BusSettings = z.output<typeof settingsSchema>;

/** Thrown when the rules or settings cannot be used at all; the message names the place to fix. */
export class EventBusConfigError extends PipelineError {
  override readonly name: string = 'EventBusConfigError';
  constructor(message: string) {
    super(message, { code: 'EVENTBUS_CONFIG_INVALID', retryable: false });
  }
}

/** Validates `custom.offlineEventBridge`. */
export function parseSettings(input: unknown): BusSettings {
  const parsed = settingsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new EventBusConfigError(`custom.offlineEventBridge: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * An `eventBridge` event's `retryPolicy`, with osls's bounds (EventBridge's own). Numbers may come as strings
 * from `${env:...}` variables.
 */
const retryPolicySchema = z.object({
  maximumRetryAttempts: z.coerce.number().int().min(0).max(185).optional(),
  maximumEventAge: z.coerce.number().int().min(60).max(86_400).optional(),
});

/** A target's RetryPolicy as EventBridge applies it. */
export interface RetryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
}

/** One `eventBridge` event of a function: a rule with the function as its one target. */
export interface Rule {
  /** The function's key in serverless.yml. */
  functionKey: string;
  /** The deployed function name, which serverless-offline's Invoke API also uses. */
  functionName: string;
  /** Position of the event among the function's events, for messages. */
  index: number;
  /** The rule's name, as osls names it. */
  name: string;
  /** The bus the rule is on, or undefined when serverless.yml names it in a way that cannot be resolved here. */
  busName: string | undefined;
  ruleArn: string;
  targetArn: string;
  pattern: CompiledPattern | undefined;
  enabled: boolean;
  retryPolicy: RetryPolicy;
  /**
   * Reasons besides the pattern that the local bus never delivers to this rule (each also a lint warning); a
   * pattern with problems never matches either.
   */
  inert: string[];
  /** What the target receives instead of the event, when `input` or `inputPath` say so. */
  input: TargetInput;
  /** How long one invocation may take before it counts as a TIMEOUT: the function's timeout and a margin. */
  invokeTimeoutMs: number;
  /** The event as written, for the lint. */
  raw: Record<string, unknown>;
}

/** `input` (a constant), `inputPath` (a part of the event), or the event itself. */
export type TargetInput =
  | { kind: 'event' }
  | { kind: 'constant'; value: Json }
  | { kind: 'path'; path: string[] };

/** What {@link resolveRules} needs from the resolved serverless.yml. */
export interface ServiceView {
  service: string;
  stage: string;
  region: string;
  account: string;
  /** The provider's default function timeout, in seconds. */
  timeout?: number;
  functions: Record<string, { name?: string; timeout?: number; events?: unknown[] }>;
}

/** Finds every `eventBridge` event of the service and resolves it into a rule. */
export function resolveRules(view: ServiceView): Rule[] {
  const rules: Rule[] = [];
  for (const [functionKey, fn] of Object.entries(view.functions)) {
    const functionName = fn.name ?? `${view.service}-${view.stage}-${functionKey}`;
    (fn.events ?? []).forEach((event, index) => {
      if (!isJsonObject(event) || !('eventBridge' in event)) return;
      const raw = isJsonObject(event.eventBridge) ? event.eventBridge : {};
      rules.push(resolveRule(view, functionKey, functionName, index, raw, fn.timeout));
    });
  }
  return rules;
}

function resolveRule(
  view: ServiceView,
  functionKey: string,
  functionName: string,
  index: number,
  raw: Record<string, Json>,
  timeout: number | undefined,
): Rule {
  const inert: string[] = [];
  const name = typeof raw.name === 'string' ? raw.name : ruleName(functionName, index + 1);
  const bus =
    raw.eventBus === undefined
      ? 'default'
      : typeof raw.eventBus === 'string'
        ? busName(raw.eventBus)
        : undefined;
  if (bus === undefined) {
    inert.push(
      'eventBus is CloudFormation the local bus cannot resolve; name the bus (or its ARN) as a string',
    );
  }
  let pattern: CompiledPattern | undefined;
  if (raw.schedule !== undefined) {
    inert.push(
      'schedule on an eventBridge event is not emulated; a `schedule` event (which serverless-offline runs) does the same',
    );
  } else {
    pattern = compilePattern(raw.pattern);
  }
  const input = targetInput(raw);
  if (input === undefined) inert.push('inputTransformer (or an inputPath other than $.a.b) is not emulated');
  const policy = retryPolicySchema.safeParse(raw.retryPolicy ?? {});
  if (!policy.success) inert.push(`retryPolicy: ${describeIssues(policy.error)}`);
  const seconds = timeout ?? view.timeout ?? defaultFunctionTimeoutSeconds;
  const ruleArn = `arn:aws:events:${view.region}:${view.account}:rule/${bus === undefined || bus === 'default' ? '' : `${bus}/`}${name}`;
  return {
    functionKey,
    functionName,
    index,
    name,
    busName: bus,
    ruleArn,
    targetArn: `arn:aws:lambda:${view.region}:${view.account}:function:${functionName}`,
    pattern,
    enabled: raw.enabled !== false,
    retryPolicy: {
      maximumRetryAttempts: policy.data?.maximumRetryAttempts ?? awsRetryDefaults.maximumRetryAttempts,
      maximumEventAgeSeconds: policy.data?.maximumEventAge ?? awsRetryDefaults.maximumEventAgeSeconds,
    },
    inert,
    input: input ?? { kind: 'event' },
    // serverless-offline ends a function at its timeout itself; the margin covers a worker's start.
    invokeTimeoutMs: seconds * 1000 + 15_000,
    raw,
  };
}

/** Whether a rule delivers `event`, put on bus `bus`: enabled, nothing inert, the bus and the pattern match. */
export function ruleMatches(rule: Rule, bus: string, event: unknown): boolean {
  return (
    rule.enabled && rule.inert.length === 0 && rule.busName === bus && rule.pattern?.matches(event) === true
  );
}

/** What the rule's target receives for `event`. */
export function inputFor(rule: Pick<Rule, 'input'>, event: BusEvent): unknown {
  if (rule.input.kind === 'constant') return rule.input.value;
  if (rule.input.kind === 'event') return event;
  let at: unknown = event;
  for (const key of rule.input.path) at = isJsonObject(at) ? at[key] : undefined;
  // EventBridge sends nothing when the path selects nothing; an empty object is the closest a function sees.
  return at ?? {};
}

/** `input`, or an `inputPath` of plain dotted keys; undefined for what is not emulated. */
function targetInput(raw: Record<string, Json>): TargetInput | undefined {
  if (raw.inputTransformer !== undefined) return undefined;
  if (raw.input !== undefined) return { kind: 'constant', value: raw.input };
  if (raw.inputPath === undefined) return { kind: 'event' };
  const path = typeof raw.inputPath === 'string' ? /^\$((?:\.[A-Za-z0-9_-]+)*)$/.exec(raw.inputPath) : null;
  if (!path) return undefined;
  return { kind: 'path', path: (path[1] ?? '').split('.').filter((k) => k !== '') };
}

/**
 * The rule name osls gives an `eventBridge` event without a `name`: `<function name>-rule-<n>`, `n` counting
 * from 1 over all the function's events, hashed down to 64 characters when longer (as osls's
 * `makeAndHashRuleName` does), so the local RULE_ARN is the one AWS would have.
 */
export function ruleName(functionName: string, position: number): string {
  const suffix = `rule-${position}`;
  const name = `${functionName}-${suffix}`;
  if (name.length <= 64) return name;
  return `${name.slice(0, 31 - suffix.length)}${createHash('md5').update(name).digest('hex')}-${suffix}`;
}
