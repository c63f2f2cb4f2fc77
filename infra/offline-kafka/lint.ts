/**
 * Warnings about `kafka`/`msk` options that osls cannot deploy as written, or that this plugin does not
 * emulate. Pure: it reads resolved event sources and returns sentences; the plugin prints them on
 * `sls offline start` and `sls package`.
 */
import { compilePattern, describeProblem } from '../../lib/event-pattern.ts';
import type { EventSource } from './options.ts';

const authKeys = [
  'saslPlainAuth',
  'saslScram256Auth',
  'saslScram512Auth',
  'clientCertificateTlsAuth',
  'serverRootCaCertificate',
];

/**
 * Options that AWS accepts for Kafka sources only in provisioned mode (its pages on error handling, Kafka
 * destinations, schema registries and mapping logs each say so).
 */
const provisionedOnly = [
  'maximumRetryAttempts',
  'maximumRecordAgeInSeconds',
  'bisectBatchOnFunctionError',
  'functionResponseType',
  'onFailureDestination',
  'schemaRegistryConfig',
  'loggingConfig',
] as const;

/** The warnings for one event source, each naming the function, the event and the key. */
export function lintEventSource(source: EventSource): string[] {
  const where = `functions.${source.functionKey}.events[${source.index}].${source.type}`;
  const raw = source.raw;
  const warnings: string[] = [];

  const needsProvisioned = provisionedOnly.filter((key) => raw[key] !== undefined);
  if (needsProvisioned.length > 0 && raw.provisionedPollerConfig === undefined) {
    warnings.push(
      `${where}: AWS accepts ${needsProvisioned.join(', ')} on Kafka sources only in provisioned mode; add provisionedPollerConfig or the deploy is refused`,
    );
  }
  const registryUri = source.schemaRegistry?.schemaRegistryUri;
  if (registryUri !== undefined && !(typeof registryUri === 'string' && /^https?:\/\//.test(registryUri))) {
    warnings.push(
      `${where}.schemaRegistryConfig: only a Confluent-compatible registry's http(s) URL is emulated; this event source will not start locally`,
    );
  }
  if (source.schemaRegistry?.accessConfigs !== undefined) {
    warnings.push(
      `${where}.schemaRegistryConfig.accessConfigs: not emulated; the local registry client connects without authentication`,
    );
  }
  const auth = Object.keys(
    typeof raw.accessConfigurations === 'object' && raw.accessConfigurations ? raw.accessConfigurations : {},
  ).filter((key) => authKeys.includes(key));
  if (auth.length > 0 || raw.saslScram512 !== undefined) {
    warnings.push(
      `${where}: ${[...auth, ...(raw.saslScram512 !== undefined ? ['saslScram512'] : [])].join(', ')} not emulated; the local consumer connects without authentication or TLS`,
    );
  }
  if (source.onFailure?.kind === 'arn') {
    warnings.push(
      `${where}.onFailureDestination: only kafka://<topic> destinations are emulated; records that fail locally are discarded with a log line instead of going to ${source.onFailure.arn}`,
    );
  }
  if (source.onFailure && raw.maximumRetryAttempts === undefined) {
    warnings.push(
      `${where}: with an on-failure destination and no maximumRetryAttempts, AWS stops after ${source.maximumRetryAttempts} retries (and so does the emulation)`,
    );
  }
  if (!source.onFailure && source.maximumRetryAttempts !== -1) {
    warnings.push(
      `${where}: maximumRetryAttempts ${source.maximumRetryAttempts} with no onFailureDestination discards records after their last retry`,
    );
  }
  if (!source.enabled)
    warnings.push(
      `${where}: enabled is false; the local consumer does not run either, until UpdateEventSourceMapping enables it`,
    );
  if (raw.maximumBatchingWindow === undefined) {
    warnings.push(`${where}: maximumBatchingWindow unset; AWS's default for Kafka, 500 ms, applies`);
  }
  for (const [i, pattern] of source.filterPatterns.entries()) {
    for (const problem of compilePattern(pattern).problems) {
      warnings.push(
        problem.kind === 'unsupported'
          ? `${where}.filterPatterns[${i}].${describeProblem(problem)}`
          : `${where}.filterPatterns[${i}].${describeProblem(problem)}; AWS refuses this pattern, and it never matches locally`,
      );
    }
  }
  return warnings;
}
