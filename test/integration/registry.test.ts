/**
 * The stack's Schema Registry (Apicurio) against the real server: it is up after `stack:up` with its version and
 * memory in the status, its Confluent-compatible API registers the `users_created` JSON Schema under a subject of
 * this run's and reads it back, and the id it gave survives a restart of the registry, since its storage is its
 * own database on the stack's PostgreSQL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { resolvePostgres, stackConnection } from '../../infra/local/endpoints.ts';
import { down, status, up } from '../../infra/local/stack.ts';
import { repoRoot } from '../../lib/paths.ts';
import { stackConfig, uniqueName } from '../helpers/stack.ts';

const cfg = stackConfig();
const registry = schemaRegistryUrl(cfg);
const contentType = 'application/vnd.schemaregistry.v1+json';
const usersCreatedSchema = readFileSync(
  join(repoRoot, 'events', 'schemas', 'users-created.value.v1.json'),
  'utf8',
);

const registered = z.object({ id: z.number().int().positive() });
const subjectVersion = z.object({
  subject: z.string(),
  version: z.number().int(),
  id: z.number().int(),
  schema: z.string(),
  schemaType: z.string(),
});
const schemaById = z.object({ schema: z.string(), schemaType: z.string() });

/** One call of the registry's Confluent-compatible API; its JSON answer, checked against `schema`. */
async function call<S extends z.ZodType>(
  schema: S,
  path: string,
  init: RequestInit = {},
): Promise<z.infer<S>> {
  const response = await fetch(`${registry}${path}`, {
    ...init,
    headers: { 'Content-Type': contentType, Accept: contentType },
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await response.json();
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${JSON.stringify(body)}`);
  return schema.parse(body);
}

function register(subject: string): Promise<z.infer<typeof registered>> {
  return call(registered, `/subjects/${subject}/versions`, {
    method: 'POST',
    body: JSON.stringify({ schemaType: 'JSON', schema: usersCreatedSchema }),
  });
}

describe('the Schema Registry', () => {
  it('is up after stack:up, healthy, with its version, pid and memory', async () => {
    const row = (await status(cfg)).find((r) => r.service === 'registry');

    expect(row).toMatchObject({ health: 'healthy', version: cfg.registry.version, port: cfg.registry.port });
    if (!cfg.external) {
      expect(row?.pid).toBeGreaterThan(0);
      expect(row?.rssBytes).toBeGreaterThan(0);
      expect(row?.uptimeMs).toBeGreaterThan(0);
    }
  });

  it("keeps its schemas in a database of its own on the stack's PostgreSQL", async () => {
    const client = new pg.Client(stackConnection(resolvePostgres(cfg), cfg.registry.database));
    await client.connect();
    try {
      const tables = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'",
      );

      expect(Number(tables.rows[0]?.n)).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });

  it('registers a JSON Schema subject through the Confluent-compatible API and reads it back', async () => {
    const subject = `${uniqueName('it-registry')}-value`;

    const { id } = await register(subject);
    const latest = await call(subjectVersion, `/subjects/${subject}/versions/latest`);
    const byId = await call(schemaById, `/schemas/ids/${id}`);
    const again = await register(subject);

    expect(latest).toMatchObject({ subject, version: 1, id, schemaType: 'JSON' });
    expect(JSON.parse(latest.schema)).toEqual(JSON.parse(usersCreatedSchema));
    expect(byId.schemaType).toBe('JSON');
    expect(JSON.parse(byId.schema)).toEqual(JSON.parse(usersCreatedSchema));
    // The same schema again is the same version and id, not a new one.
    expect(again.id).toBe(id);
  });

  it.skipIf(cfg.external)('keeps the id across a restart of the registry', async () => {
    const subject = `${uniqueName('it-restart')}-value`;
    const { id } = await register(subject);
    const before = (await status(cfg)).find((r) => r.service === 'registry');

    const stopped = await down(cfg, { only: ['registry'] });
    const [restarted] = await up(cfg, { only: ['registry'] });
    const latest = await call(subjectVersion, `/subjects/${subject}/versions/latest`);
    const byId = await call(schemaById, `/schemas/ids/${id}`);

    expect(stopped).toEqual([expect.objectContaining({ name: 'registry', outcome: 'stopped' })]);
    expect(restarted).toMatchObject({ name: 'registry', outcome: 'started', cold: false });
    expect(restarted?.pid).not.toBe(before?.pid);
    expect(latest).toMatchObject({ subject, version: 1, id });
    expect(JSON.parse(byId.schema)).toEqual(JSON.parse(usersCreatedSchema));
  });
});
