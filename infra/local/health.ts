/**
 * Health checks over each server's real protocol: Kafka metadata through the kafkajs admin client,
 * `SELECT release_version FROM system.local` over CQL, `SELECT 1` on PostgreSQL, and the Schema Registry's
 * `GET /apis/registry/v3/system/info`. Each returns the server's version when healthy and undefined otherwise;
 * none throws.
 */
import cassandra from 'cassandra-driver';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import { z } from 'zod';
import { Kafka } from '../../lib/kafkajs.ts';
import { stackConnection } from './endpoints.ts';

export interface Healthy {
  version: string;
  detail?: string;
}

/** Kafka answers a metadata request; `version` is what the caller knows it started (Kafka does not report it). */
export async function kafkaHealth(
  host: string,
  port: number,
  knownVersion = '?',
): Promise<Healthy | undefined> {
  const kafka = new Kafka({
    clientId: 'stack-health',
    brokers: [`${host}:${port}`],
    connectionTimeout: 1500,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return {
      version: knownVersion,
      detail: `${cluster.brokers.length} broker(s), cluster ${cluster.clusterId}`,
    };
  } catch {
    return undefined;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function cassandraHealth(
  host: string,
  port: number,
  localDataCenter: string,
): Promise<Healthy | undefined> {
  const client = new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter,
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
    pooling: { warmup: false },
  });
  try {
    const result = await client.execute('SELECT release_version FROM system.local');
    const version = result.first()?.get('release_version');
    return typeof version === 'string' ? { version } : undefined;
  } catch {
    return undefined;
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

export async function postgresHealth(
  host: string,
  port: number,
  user: string,
  database = 'postgres',
): Promise<Healthy | undefined> {
  const client = new pg.Client({
    ...stackConnection({ host, port, user, database }),
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    const version = result.rows[0]?.server_version;
    return version ? { version: version.split(' ')[0] ?? version } : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What Apicurio Registry's `GET /apis/registry/v3/system/info` answers (only the fields read here). */
const registryInfo = z.object({ name: z.string(), version: z.string().min(1) });

/** The Schema Registry answers its system-info call; its version is the one it reports (`3.3.3`). */
export async function registryHealth(host: string, port: number): Promise<Healthy | undefined> {
  try {
    const response = await fetch(`http://${host}:${port}/apis/registry/v3/system/info`, {
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) return undefined;
    const info = registryInfo.safeParse(await response.json());
    return info.success ? { version: info.data.version, detail: info.data.name } : undefined;
  } catch {
    return undefined;
  }
}
