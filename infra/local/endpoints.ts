/**
 * Where PostgreSQL answers: the stack's own record. The local stack uses the PostgreSQL on PGHOST:PGPORT when
 * one answers there, and otherwise starts a private server on another port; `stack:up` then writes the
 * endpoint it chose to `<stateDir>/postgres.json`, which every client of the stack (the dev runner, the
 * migrations, serverless.yml's local stage, the benchmarks, the tests) reads through `resolvePostgres`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues, errorText } from '../../lib/errors.ts';
import type { StackConfig } from './config.ts';
import { InvalidEndpointFileError } from './errors.ts';

/** A PostgreSQL endpoint and the database the pipeline uses on it. */
export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  database: string;
  /** Only for stages that need one; the local stack uses trust authentication. */
  password?: string | undefined;
  /** True when the local stack runs this server itself (a private cluster). */
  managed?: boolean | undefined;
}

/**
 * The connection settings of the stack's own clients (health checks, migrations, the summary, the tests) for
 * `endpoint`. Without TLS, explicitly: the driver would otherwise take PGSSLMODE from the environment, where
 * it may be set for the functions (`PGSSLMODE=require npm start`), and the stack's PostgreSQL speaks none.
 */
export function stackConnection(endpoint: PostgresEndpoint, database = endpoint.database) {
  return {
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: endpoint.password,
    database,
    ssl: false,
  } as const;
}

const endpointFileSchema = z.object({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  user: z.string().min(1),
  database: z.string().min(1),
  password: z.string().optional(),
  managed: z.boolean().optional(),
});

/** Path of the endpoint file the local stack writes. */
export function postgresEndpointFile(cfg: Pick<StackConfig, 'stateDir'>): string {
  return join(cfg.stateDir, 'postgres.json');
}

/**
 * Reads a record of a PostgreSQL endpoint, as the stack writes them (`postgres.json`, and the registry's record
 * of its database); undefined when the file does not exist.
 *
 * @throws InvalidEndpointFileError when the file exists but is not JSON of the expected shape
 */
export function readEndpointFile(file: string): PostgresEndpoint | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new InvalidEndpointFileError(file, errorText(error), error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidEndpointFileError(file, 'not valid JSON', error);
  }
  const parsed = endpointFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidEndpointFileError(file, describeIssues(parsed.error), parsed.error);
  }
  return parsed.data;
}

/**
 * Returns the PostgreSQL endpoint recorded by the local stack in `<cfg.stateDir>/postgres.json`, or
 * `cfg.postgres` when that file does not exist.
 *
 * @throws InvalidEndpointFileError when the file exists but is not JSON of the expected shape: falling back
 *   to the default port would silently point at another server.
 */
export function resolvePostgres(cfg: Pick<StackConfig, 'stateDir' | 'postgres'>): PostgresEndpoint {
  const recorded = readEndpointFile(postgresEndpointFile(cfg));
  if (recorded) return recorded;
  const { host, port, user, database } = cfg.postgres;
  return { host, port, user, database };
}

/**
 * Where the local EventBridge (infra/eventbus) keeps its events: the run's database on the server the stack
 * recorded, unless LOCAL_EVENTBUS_PGHOST/PGPORT name another (the fault suite keeps the bus on the real server
 * while the functions reach PostgreSQL through a proxy). serverless.yml's `custom.offlineEventBridge.postgres`
 * resolves the same way for the running bus; the CLI and the `npm start` summary use this.
 */
export function eventBusPostgres(
  cfg: Pick<StackConfig, 'stateDir' | 'postgres' | 'eventBus'>,
): PostgresEndpoint {
  const recorded = resolvePostgres(cfg);
  return {
    ...recorded,
    host: cfg.eventBus.postgres.host ?? recorded.host,
    port: cfg.eventBus.postgres.port ?? recorded.port,
    database: cfg.postgres.database,
  };
}
