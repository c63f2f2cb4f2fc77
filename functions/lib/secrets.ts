/**
 * The pipeline's Secrets Manager client: reads the credentials of PostgreSQL (RDS) and of SASL/SCRAM Kafka at
 * run time, so no password ever sits in the template or in a function's environment, only a secret's ARN.
 *
 * Values are cached by Powertools' SecretsProvider for `secrets.maxAgeSeconds`, so a warm function does not
 * call Secrets Manager per connection, and picks up a rotated password within that time.
 */
import { z } from 'zod';
import { describeIssues, errorText, type PipelineError } from '../../lib/errors.ts';
import { ConfigError, TransientError } from './errors.ts';
import type { Config } from './settings.ts';

/** A user name and password, as RDS and MSK SCRAM secrets hold them (`{"username": ..., "password": ...}`). */
export interface Credentials {
  username: string;
  password: string;
}

/** Reads credentials from secrets. */
export interface CredentialsReader {
  /**
   * Returns the credentials held by the secret, from the cache when it is fresh enough.
   *
   * @param secretArn - the secret's ARN
   * @param setting - the setting that named the secret, e.g. `PG_SECRET_ARN`, for error messages
   * @throws {@link ConfigError} naming `setting` when the secret is missing, not readable by this function, or
   *   not JSON with `username` and `password` (the deployment must be fixed)
   * @throws {@link TransientError} when Secrets Manager failed for now (throttling, network)
   */
  credentials(secretArn: string, setting: string): Promise<Credentials>;
}

/** The part of Powertools' SecretsProvider that the reader uses; tests pass a fake. */
export interface SecretSource {
  get(name: string, options: { maxAge: number; transform: 'json' }): Promise<unknown>;
}

const credentialsSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

// Secrets Manager errors that say the deployment is wrong, not that the service is busy.
const permanentErrors = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
  // Powertools' own: the value is not JSON.
  'TransformParameterError',
]);

/**
 * Sorts a failure to read a secret: a {@link ConfigError} naming `setting` for one that no retry fixes, a
 * {@link TransientError} otherwise. The message never carries the secret's value.
 */
export function secretError(error: unknown, setting: string): PipelineError {
  // Powertools wraps the SDK's error (GetParameterError with the SDK error as `cause`).
  const sdkError = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const name = sdkError instanceof Error ? sdkError.name : '';
  const outer = error instanceof Error ? error.name : '';
  if (permanentErrors.has(name) || permanentErrors.has(outer)) {
    const reason = permanentErrors.has(name) ? name : outer;
    return new ConfigError(`cannot read the secret named by ${setting}: ${reason}`, [setting], {
      code: 'SECRET_UNREADABLE',
      cause: error,
    });
  }
  return new TransientError(`cannot read the secret named by ${setting}: ${errorText(sdkError)}`, {
    code: 'SECRETS_MANAGER_UNAVAILABLE',
    cause: error,
  });
}

/**
 * Powertools' SecretsProvider (Secrets Manager, cached per name), loaded on the first read. Only the stages
 * that keep a password in Secrets Manager read one, and the SDK client it pulls in costs every other cold
 * start (and every local worker) a noticeable share of its start-up.
 */
function secretsManager(): SecretSource {
  let provider: Promise<SecretSource> | undefined;
  return {
    async get(name, options) {
      provider ??= import('@aws-lambda-powertools/parameters/secrets').then(
        ({ SecretsProvider }) => new SecretsProvider({ clientConfig: { maxAttempts: 3 } }),
      );
      return (await provider).get(name, options);
    },
  };
}

/**
 * Creates a {@link CredentialsReader}.
 *
 * @param config - `secrets.maxAgeSeconds`: how long a value is reused
 * @param source - where secrets come from; by default Powertools' SecretsProvider, which caches per name
 */
export function createCredentialsReader(
  config: Pick<Config, 'secrets'>,
  source: SecretSource = secretsManager(),
): CredentialsReader {
  return {
    async credentials(secretArn, setting) {
      let value: unknown;
      try {
        value = await source.get(secretArn, { maxAge: config.secrets.maxAgeSeconds, transform: 'json' });
      } catch (error) {
        throw secretError(error, setting);
      }
      const parsed = credentialsSchema.safeParse(value);
      if (!parsed.success) {
        // The issues name fields (`password: expected string`), never their values.
        throw new ConfigError(
          `the secret named by ${setting} must be JSON with username and password: ${describeIssues(parsed.error)}`,
          [setting],
          { code: 'SECRET_MALFORMED' },
        );
      }
      return parsed.data;
    },
  };
}
