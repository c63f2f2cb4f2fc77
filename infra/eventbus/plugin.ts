/**
 * The TypeScript half of the local EventBridge's Serverless plugin (index.cjs is the CommonJS entry that osls
 * loads). It resolves the service's `eventBridge` events into rules and `custom.offlineEventBridge` into the
 * bus's settings, prints the lint, and starts and stops the durable bus under `sls offline start`.
 */
import { type DurableBus, startDurableBus } from './bus.ts';
import { lintRule } from './lint.ts';
import { parseSettings, resolveRules, type ServiceView, settingsSchema } from './options.ts';

/** The parts of osls's `serverless` object this plugin reads. */
export interface ServerlessLike {
  service: {
    service: string;
    provider: { timeout?: number };
    custom?: Record<string, unknown>;
    functions?: Record<string, { name?: string; timeout?: number; events?: unknown[] }>;
  };
  getProvider(name: 'aws'): { getStage(): string; getRegion(): string };
}

/** Logging functions from osls (or console). */
export interface PluginLog {
  notice(line: string): void;
  warning(line: string): void;
}

/** Every line of the plugin starts so, as the brief for `npm start`'s output asks. */
const prefix = '[eventbus] ';

/** The service as the resolver sees it; `account` comes from the bus's settings. */
function serviceView(serverless: ServerlessLike, account: string): ServiceView {
  const provider = serverless.getProvider('aws');
  return {
    service: serverless.service.service,
    stage: provider.getStage(),
    region: provider.getRegion(),
    account,
    ...(serverless.service.provider.timeout === undefined
      ? {}
      : { timeout: serverless.service.provider.timeout }),
    functions: serverless.service.functions ?? {},
  };
}

function settingsOf(serverless: ServerlessLike) {
  return parseSettings(serverless.service.custom?.offlineEventBridge);
}

/** Prints the lint for every `eventBridge` event of the service; returns the warnings. */
export function lint(serverless: ServerlessLike, log: PluginLog): string[] {
  // The lint needs no database: only the account is read, so a service without the bus's settings is linted too.
  const { account } = settingsSchema
    .pick({ account: true })
    .parse(serverless.service.custom?.offlineEventBridge ?? {});
  const warnings = resolveRules(serviceView(serverless, account)).flatMap(lintRule);
  for (const warning of warnings) log.warning(`${prefix}${warning}`);
  return warnings;
}

/** Starts the durable bus for the service's rules. */
export async function start(
  serverless: ServerlessLike,
  log: PluginLog,
  lambdaPort: number,
): Promise<DurableBus> {
  const settings = settingsOf(serverless);
  const rules = resolveRules(serviceView(serverless, settings.account));
  for (const warning of rules.flatMap(lintRule)) log.warning(`${prefix}${warning}`);
  return startDurableBus({
    settings,
    rules,
    region: serverless.getProvider('aws').getRegion(),
    lambdaEndpoint: settings.lambdaEndpoint ?? `http://127.0.0.1:${lambdaPort}`,
    log: (line) => log.notice(`${prefix}${line}`),
    warn: (line) => log.warning(`${prefix}${line}`),
  });
}
