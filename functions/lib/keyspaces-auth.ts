/**
 * SigV4 authentication of the Cassandra driver for Amazon Keyspaces: the driver sends `SigV4`, Keyspaces
 * answers with a nonce, and the driver answers with a signature made with the function's AWS credentials.
 *
 * The signature is computed by `aws-sigv4-auth-cassandra-plugin`'s signing module. Its entry point is not
 * used because it requires the AWS SDK v2 at load, which would put that (deprecated, 100 MB installed) SDK in
 * the bundle; credentials come from the SDK v3 default chain instead, which on Lambda is the function's role
 * and is refreshed before it expires.
 */
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import cassandra from 'cassandra-driver';

/** Options of {@link createSigV4AuthProvider}. */
export interface SigV4Options {
  /** The Keyspaces region, e.g. `eu-west-1`. */
  region: string;
  /** Where AWS credentials come from; by default the SDK's chain (the Lambda role's credentials). */
  credentials?: AwsCredentialIdentityProvider;
  /** The signing time; tests fix it. */
  now?: () => Date;
}

/** The SASL-like first message that asks Keyspaces for a SigV4 challenge. */
export const sigV4InitialResponse = Buffer.from('SigV4\0\0', 'utf8');

/** The nonce of a Keyspaces challenge (`nonce=<hex>,...`), or undefined when it has none. */
export function challengeNonce(challenge: Buffer): string | undefined {
  const match = /nonce=([^,]+)/.exec(challenge.toString('utf8'));
  return match?.[1];
}

type Callback = (error: Error | null, response?: Buffer) => void;

// The signer (with crypto-js) and the SDK's credential chain are loaded at the first challenge: only stages on
// Keyspaces authenticate this way, and loading them at start-up slowed every cold start.
let signer: Promise<typeof import('aws-sigv4-auth-cassandra-plugin/lib/sigv4-auth-signature.js')> | undefined;
function loadSigner() {
  signer ??= import('aws-sigv4-auth-cassandra-plugin/lib/sigv4-auth-signature.js');
  return signer.then((module) => module.computeSigV4SignatureCassandraRequest);
}

/** The SDK's default credential chain (the Lambda role's credentials), built on first use. */
function defaultCredentials(): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  return async (props) => {
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return (await chain)(props);
  };
}

// The driver checks `instanceof auth.AuthProvider`, a class its typings describe only as an interface.
const driverAuth = cassandra.auth as unknown as {
  AuthProvider: new () => object;
  Authenticator: new () => object;
};

class SigV4Authenticator extends driverAuth.Authenticator implements cassandra.auth.Authenticator {
  constructor(private readonly options: Required<SigV4Options>) {
    super();
  }

  initialResponse(callback: Callback): void {
    callback(null, sigV4InitialResponse);
  }

  evaluateChallenge(challenge: Buffer, callback: Callback): void {
    const nonce = challengeNonce(challenge);
    if (nonce === undefined) {
      callback(new Error('the Keyspaces SigV4 challenge has no nonce'));
      return;
    }
    Promise.all([this.options.credentials(), loadSigner()]).then(
      ([credentials, computeSigV4SignatureCassandraRequest]) =>
        callback(
          null,
          Buffer.from(
            computeSigV4SignatureCassandraRequest({
              region: this.options.region,
              nonce,
              date: this.options.now(),
              accessKeyId: credentials.accessKeyId,
              secretAccessKey: credentials.secretAccessKey,
              sessionToken: credentials.sessionToken,
            }),
          ),
        ),
      (error: unknown) =>
        callback(error instanceof Error ? error : new Error(`no AWS credentials: ${String(error)}`)),
    );
  }

  onAuthenticationSuccess(): void {}
}

class SigV4AuthProvider extends driverAuth.AuthProvider implements cassandra.auth.AuthProvider {
  constructor(private readonly options: Required<SigV4Options>) {
    super();
  }

  newAuthenticator(): cassandra.auth.Authenticator {
    return new SigV4Authenticator(this.options);
  }
}

/**
 * Creates the driver's auth provider for Amazon Keyspaces.
 *
 * @param options - the region, and optionally the credentials and clock
 */
export function createSigV4AuthProvider(options: SigV4Options): cassandra.auth.AuthProvider {
  return new SigV4AuthProvider({
    region: options.region,
    credentials: options.credentials ?? defaultCredentials(),
    now: options.now ?? (() => new Date()),
  });
}
