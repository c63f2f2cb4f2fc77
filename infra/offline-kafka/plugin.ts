/**
 * The TypeScript half of the offline-kafka Serverless plugin (index.cjs is the CommonJS entry that osls
 * loads). It resolves the service's `kafka`/`msk` events, prints the lint, starts one event source per event
 * under `sls offline start` with the event-source-mapping API that pauses and resumes them
 * (control-server.ts), stops them on shutdown, and adds the options osls does not compile to the
 * CloudFormation template.
 */
import { errorText } from '../../lib/errors.ts';
import { compileMappingProperties, describeCompiledKeys } from './compile.ts';
import { MappingController } from './control.ts';
import { type ControlEndpoint, listenControl } from './control-server.ts';
import { lintEventSource } from './lint.ts';
import { mappingUuids } from './mapping.ts';
import { type EventSource, parseSettings, resolveEventSources, type ServiceView } from './options.ts';

/** The parts of osls's `serverless` object this plugin reads. */
export interface ServerlessLike {
  service: {
    service: string;
    provider: {
      region?: string;
      stage?: string;
      compiledCloudFormationTemplate?: { Resources?: Record<string, unknown> };
    };
    custom?: Record<string, unknown>;
    functions?: Record<string, { name?: string; events?: unknown[] }>;
  };
  getProvider(name: 'aws'): {
    getStage(): string;
    getRegion(): string;
    naming: { getLambdaLogicalId(key: string): string };
  };
}

/** Logging functions from osls (or console). */
export interface PluginLog {
  notice(line: string): void;
  warning(line: string): void;
}

/** The service as the resolver sees it. */
export function serviceView(serverless: ServerlessLike): ServiceView {
  const provider = serverless.getProvider('aws');
  return {
    service: serverless.service.service,
    stage: provider.getStage(),
    functions: serverless.service.functions ?? {},
    settings: serverless.service.custom?.offlineKafka,
  };
}

/**
 * Prints the lint for every Kafka event of the service; returns the warnings. With `compiledKeys`, as
 * `npx sls offline-kafka` asks, it also says which keys osls cannot express and this plugin deploys.
 */
export function lint(serverless: ServerlessLike, log: PluginLog, compiledKeys = false): string[] {
  const sources = compiledKeys
    ? resolveEventSourcesForPackage(serverless)
    : resolveEventSources(serviceView(serverless));
  const warnings = sources.flatMap(lintEventSource);
  for (const warning of warnings) log.warning(`offline-kafka: ${warning}`);
  if (compiledKeys) {
    for (const line of sources.map(describeCompiledKeys))
      if (line !== undefined) log.notice(`offline-kafka: ${line}`);
  }
  return warnings;
}

/** The event sources of a running `sls offline start`, and their control API. */
export interface LocalEventSources {
  mappings: MappingController[];
  /** Where the event-source-mapping API listens; undefined when it could not (its port in use, say). */
  control: ControlEndpoint | undefined;
  /** Closes the API and stops every consumer, waiting for invocations in flight up to the shutdown timeout. */
  stop(): Promise<void>;
}

/**
 * Starts a mapping for every Kafka event (consuming at once when the event is enabled) and the
 * event-source-mapping API on `custom.offlineKafka.controlPort`. An API that cannot listen is reported and
 * left out: the event sources run without it.
 */
export async function start(
  serverless: ServerlessLike,
  log: PluginLog,
  lambdaPort: number,
): Promise<LocalEventSources> {
  const view = serviceView(serverless);
  const settings = parseSettings(view.settings);
  const sources = resolveEventSources(view);
  for (const warning of sources.flatMap(lintEventSource)) log.warning(`offline-kafka: ${warning}`);
  const endpoint = settings.lambdaEndpoint ?? `http://127.0.0.1:${lambdaPort}`;
  const region = serverless.getProvider('aws').getRegion();
  const uuids = mappingUuids(view.service, view.stage, sources);
  const mappings = sources.map(
    (source, i) =>
      new MappingController({
        uuid: uuids[i] ?? '',
        source,
        settings,
        lambdaEndpoint: endpoint,
        region,
        log: (line) => log.notice(`offline-kafka: ${line}`),
        warn: (line) => log.warning(`offline-kafka: ${line}`),
        now: () => Date.now(),
      }),
  );
  for (const mapping of mappings) mapping.start();

  let control: ControlEndpoint | undefined;
  if (mappings.length > 0) {
    try {
      control = await listenControl({
        mappings,
        port: settings.controlPort,
        where: (uuid) => {
          const source = mappings.find((m) => m.uuid === uuid)?.source;
          return source ? `functions.${source.functionKey}.events[${source.index}].${source.type}` : uuid;
        },
        log: (line) => log.notice(`offline-kafka: ${line}`),
      });
      log.notice(
        `offline-kafka: event-source mappings at ${control.endpoint}/2015-03-31/event-source-mappings (${mappings.length}; Lambda's List/Get/UpdateEventSourceMapping)`,
      );
    } catch (error) {
      log.warning(
        `offline-kafka: the event-source-mapping API cannot listen on 127.0.0.1:${settings.controlPort} (${errorText(error)}); the event sources run without it. Set custom.offlineKafka.controlPort to a free port (0 picks one)`,
      );
    }
  }
  return {
    mappings,
    control,
    stop: async () => {
      await control?.close();
      await Promise.all(mappings.map((m) => m.stop()));
    },
  };
}

/**
 * Adds to each EventSourceMapping the keys of its `kafka` or `msk` event that osls does not compile (compile.ts:
 * retries, record age, bisect, partial batch responses, the `msk` on-failure destination, provisioned mode's
 * poller group, the schema registry, metrics and logging), and says which, so a reader of `sls package` knows
 * where each property came from.
 *
 * @returns how many mappings it changed
 */
export function compile(serverless: ServerlessLike, log?: PluginLog): number {
  const resources = serverless.service.provider.compiledCloudFormationTemplate?.Resources ?? {};
  const naming = serverless.getProvider('aws').naming;
  let changed = 0;
  for (const source of resolveEventSourcesForPackage(serverless)) {
    const fnId = naming.getLambdaLogicalId(source.functionKey);
    for (const [id, resource] of Object.entries(resources)) {
      if (!isMapping(resource)) continue;
      const props = resource.Properties;
      if (!Array.isArray(props.Topics) || props.Topics[0] !== source.topic) continue;
      if (!JSON.stringify(props.FunctionName ?? '').includes(fnId)) continue;
      resource.Properties = compileMappingProperties(source, props);
      const line = describeCompiledKeys(source);
      if (line !== undefined) log?.notice(`offline-kafka: ${line} (${id})`);
      changed++;
    }
  }
  return changed;
}

/** At packaging time `msk` events need no local brokers, so a placeholder stands in for the resolver. */
function resolveEventSourcesForPackage(serverless: ServerlessLike): EventSource[] {
  const view = serviceView(serverless);
  const settings = typeof view.settings === 'object' && view.settings !== null ? view.settings : {};
  return resolveEventSources({ ...view, settings: { brokers: ['packaging:0'], ...settings } });
}

function isMapping(resource: unknown): resource is { Type: string; Properties: Record<string, unknown> } {
  return (
    typeof resource === 'object' &&
    resource !== null &&
    'Type' in resource &&
    resource.Type === 'AWS::Lambda::EventSourceMapping' &&
    'Properties' in resource &&
    typeof resource.Properties === 'object' &&
    resource.Properties !== null
  );
}
