// Unit tests of the Cassandra client in functions/lib/cassandra.ts: the driver options it builds for the
// local stack and for Amazon Keyspaces (TLS, SigV4). No server is contacted.
import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { cassandraSecurityOptions, createCassandraClient } from './cassandra.ts';
import { challengeNonce, createSigV4AuthProvider, sigV4InitialResponse } from './keyspaces-auth.ts';

const { types } = cassandra;

describe('cassandraSecurityOptions', () => {
  it('adds nothing for the local stack', () => {
    expect(cassandraSecurityOptions({ tls: false, auth: { mechanism: 'none' } }, ['127.0.0.1:9042'])).toEqual(
      {},
    );
  });

  it('checks the Keyspaces certificate against the service host name, and signs with SigV4 for the region', () => {
    const regions: string[] = [];
    const provider = createSigV4AuthProvider({ region: 'eu-west-1' });

    const options = cassandraSecurityOptions(
      { tls: true, auth: { mechanism: 'sigv4', region: 'eu-west-1' } },
      ['cassandra.eu-west-1.amazonaws.com:9142'],
      (region) => {
        regions.push(region);
        return provider;
      },
    );

    expect(options.sslOptions).toEqual({
      rejectUnauthorized: true,
      servername: 'cassandra.eu-west-1.amazonaws.com',
    });
    expect(options.authProvider).toBe(provider);
    expect(regions).toEqual(['eu-west-1']);
  });

  it('builds a driver client that accepts the SigV4 provider (the driver checks its class)', () => {
    const client = createCassandraClient({
      cassandra: {
        contactPoints: ['cassandra.eu-west-1.amazonaws.com:9142'],
        localDataCenter: 'eu-west-1',
        keyspace: 'spark_streams',
      },
      cassandraSecurity: { tls: true, auth: { mechanism: 'sigv4', region: 'eu-west-1' } },
    });

    expect(Reflect.get(client, 'options')).toMatchObject({
      sslOptions: { rejectUnauthorized: true },
      queryOptions: { consistency: types.consistencies.localQuorum },
    });
  });
});

describe('Keyspaces SigV4 authenticator', () => {
  it('asks for SigV4, then answers the nonce with a signature made with the credentials', async () => {
    const provider = createSigV4AuthProvider({
      region: 'us-west-2',
      credentials: async () => ({ accessKeyId: 'UserID-1', secretAccessKey: 'UserSecretKey-1' }),
      now: () => new Date(1591742511000),
    });
    const authenticator = provider.newAuthenticator(
      'h:9142',
      'org.apache.cassandra.auth.PasswordAuthenticator',
    );
    const initial = await new Promise<Buffer | undefined>((resolve, reject) =>
      authenticator.initialResponse((e: Error | null, r?: Buffer) => (e ? reject(e) : resolve(r))),
    );

    const response = await new Promise<Buffer | undefined>((resolve, reject) =>
      authenticator.evaluateChallenge(
        Buffer.from('nonce=91703fdc2ef562e19fbdab0f58e42fe5'),
        (e: Error | null, r?: Buffer) => (e ? reject(e) : resolve(r)),
      ),
    );

    expect(initial).toEqual(sigV4InitialResponse);
    expect(response?.toString()).toMatch(
      /^signature=[0-9a-f]{64},access_key=UserID-1,amzdate=2020-06-09T22:41:51\.000Z$/,
    );
  });

  it('reads the nonce of a challenge, or none', () => {
    expect(challengeNonce(Buffer.from('nonce=abc,other=1'))).toBe('abc');
    expect(challengeNonce(Buffer.from('no nonce here'))).toBeUndefined();
  });
});

describe('createCassandraClient', () => {
  it('marks every query idempotent and prepared, since executeConcurrent passes neither through', () => {
    const client = createCassandraClient({
      cassandra: { contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1', keyspace: 'ks' },
    });

    // `options` is the driver's resolved configuration; its typings leave it out.
    expect(Reflect.get(client, 'options')).toMatchObject({
      queryOptions: { isIdempotent: true, prepare: true },
    });
    expect(client.keyspace).toBe('ks');
  });
});
