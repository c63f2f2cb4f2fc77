/**
 * The pipeline's Cassandra client: one driver client per process, built by the entry point and connected on
 * the first query. It serves the local Cassandra (plaintext, no authentication, port 9042) and Amazon
 * Keyspaces (TLS on port 9142, SigV4, LOCAL_QUORUM); `cassandraSecurity` in the config selects which. What
 * the pipeline writes through it, and how failures are sorted, is sink-users' write policy
 * (functions/sink-users/sink.ts).
 */
import type { ConnectionOptions } from 'node:tls';
import cassandra from 'cassandra-driver';
import { createSigV4AuthProvider } from './keyspaces-auth.ts';
import type { Config } from './settings.ts';

const { types } = cassandra;

/**
 * Builds the driver client for a config. It connects on the first query, so building it at load costs
 * nothing and a Cassandra that is down fails the invocation, not the cold start.
 *
 * Every query on it is idempotent: the pipeline only upserts rows keyed by id whose values are a function of
 * the record. That is set client-wide (`queryOptions.isIdempotent`), so it holds for single statements and
 * batches alike; without it the driver never retries a write after a client timeout or a write timeout.
 *
 * With `cassandraSecurity` (see {@link cassandraSecurityOptions}) it speaks TLS, and SigV4 to Amazon
 * Keyspaces, whose contact point is `cassandra.<region>.amazonaws.com:9142` and whose data centre is the
 * region's name.
 */
export function createCassandraClient(config: CassandraClientConfig): cassandra.Client {
  const security = config.cassandraSecurity ?? { tls: false, auth: { mechanism: 'none' } };
  return new cassandra.Client({
    // `host` or `host:port`; the driver applies protocolOptions.port (9042) to entries without a port.
    contactPoints: config.cassandra.contactPoints,
    localDataCenter: config.cassandra.localDataCenter,
    keyspace: config.cassandra.keyspace,
    ...cassandraSecurityOptions(security, config.cassandra.contactPoints),
    // A function should fail fast and let its event source retry. The read timeout stays above Cassandra's
    // own write_request_timeout (2 s), so a slow replica shows up as the server's WriteTimeout.
    socketOptions: { connectTimeout: 3_000, readTimeout: 10_000 },
    queryOptions: {
      prepare: true,
      isIdempotent: true,
      // A quorum of the local data centre: an acknowledged row survives the loss of a replica.
      consistency: types.consistencies.localQuorum,
    },
    policies: {
      // A warm function must not wait minutes (the default grows to 10) before it tries a host again.
      reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(500, 10_000, false),
    },
  });
}

/** What {@link createCassandraClient} reads; without `cassandraSecurity` it connects as the local stack expects. */
export type CassandraClientConfig = Pick<Config, 'cassandra'> & Partial<Pick<Config, 'cassandraSecurity'>>;

/**
 * The driver's TLS and authentication options for a security setting.
 *
 * The driver's own TLS default skips the certificate check, so it is turned on here. Keyspaces' peers are
 * addressed by IP, so the certificate is checked against the service's host name (the first contact point)
 * rather than the address dialled.
 *
 * @param contactPoints - `host` or `host:port` entries; the first names the TLS server
 * @param sigV4 - builds the SigV4 auth provider; tests pass a fake
 */
export function cassandraSecurityOptions(
  security: Config['cassandraSecurity'],
  contactPoints: readonly string[],
  sigV4: (region: string) => cassandra.auth.AuthProvider = (region) => createSigV4AuthProvider({ region }),
): { sslOptions?: ConnectionOptions; authProvider?: cassandra.auth.AuthProvider } {
  const host = contactPoints[0]?.replace(/:\d+$/, '');
  const sslOptions: ConnectionOptions | undefined = security.tls
    ? { rejectUnauthorized: true, ...(host === undefined ? {} : { servername: host }) }
    : undefined;
  return {
    ...(sslOptions === undefined ? {} : { sslOptions }),
    ...(security.auth.mechanism === 'sigv4' ? { authProvider: sigV4(security.auth.region) } : {}),
  };
}
