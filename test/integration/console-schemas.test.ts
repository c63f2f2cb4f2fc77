/**
 * The console's Schemas routes against the stack's real Schema Registry (Apicurio). The test registers the
 * published `users_created` value schema and a compatible second version (one optional field added) under a
 * subject of its own, with a BACKWARD rule, plus a subject without a rule of its own (the registry keeps its
 * subjects, so the names are unique to the run and `users_created-value` is never touched). Each route must
 * answer what the registry holds, read straight from its Confluent-compatible API; a console whose registry
 * does not answer must say so with the fix, while its other routes still answer.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSchemaRegistry } from '../../functions/lib/registry.ts';
import type {
  ApiError,
  SchemaComparison,
  SchemaRegistryView,
  SchemaSubjectView,
  SchemaVersionView,
  StackView,
} from '../../infra/console/api.ts';
import { type RunningConsole, startConsole } from '../../infra/console/server.ts';
import { type ConsoleSources, localSources } from '../../infra/console/sources.ts';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { usersCreatedSchemaFile } from '../../infra/migrations/migrate.ts';
import { closedPort, stackConfig, uniqueName } from '../helpers/stack.ts';

const run = uniqueName('console_schemas');
const subject = `${run}-value`;
const plainSubject = `${run}_plain-value`;
const cfg = stackConfig();
const registryUrl = schemaRegistryUrl(cfg);
const registry = createSchemaRegistry({ url: registryUrl });

const v1Text = readFileSync(usersCreatedSchemaFile, 'utf8');
// Records keep the file's key order, so the two versions' texts differ only where the field is added.
const v1 = z.record(z.string(), z.unknown()).parse(JSON.parse(v1Text));
const v1Properties = z.record(z.string(), z.unknown()).parse(v1.properties);
// The compatible change the registry must accept under BACKWARD: one optional field added.
const v2Text = JSON.stringify(
  { ...v1, properties: { ...v1Properties, schemaNote: { type: 'string', maxLength: 200 } } },
  null,
  2,
);

/** A console on a free port; its registry is the stack's unless `registryUrl` names another. */
async function consoleWith(options: { registryUrl?: string } = {}) {
  const sources = localSources(cfg, { eventSourcesPort: await closedPort(), ...options });
  const running = await startConsole({ cfg, sources, port: 0, intervalMs: 60_000, log: () => undefined });
  return { sources, running, base: new URL(running.url) };
}

let sources: ConsoleSources;
let consoleRun: RunningConsole;
let base: URL;
const ids: number[] = [];

async function get<T>(path: string, at = base): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, at), { signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: (await res.json()) as T };
}

/** The registry's own answer to a GET on its Confluent-compatible API, not through any client of ours. */
async function direct(path: string): Promise<unknown> {
  const res = await fetch(`${registryUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
  return res.json();
}

const subjectPath = (s: string) => `/api/schemas/subjects/${encodeURIComponent(s)}`;

beforeAll(async () => {
  await registry.setCompatibility(subject, 'BACKWARD');
  ids.push((await registry.register(subject, v1Text)).id);
  ids.push((await registry.register(subject, v2Text)).id);
  await registry.register(plainSubject, v1Text);
  ({ sources, running: consoleRun, base } = await consoleWith());
}, 120_000);

afterAll(async () => {
  await consoleRun?.close();
  await sources?.close();
});

describe("the console's Schemas routes against the real registry", () => {
  it('lists the subjects, sorted, with the registry’s address and default rule', async () => {
    const { status, body } = await get<SchemaRegistryView>('/api/schemas');
    const config = z.object({ compatibilityLevel: z.string() }).parse(await direct('/config'));
    const subjects = z.array(z.string()).parse(await direct('/subjects'));

    expect(status).toBe(200);
    expect(body.url).toBe(registryUrl);
    expect(body.defaultCompatibility).toBe(config.compatibilityLevel);
    expect(body.subjects).toEqual(expect.arrayContaining([subject, plainSubject]));
    expect(body.subjects).toEqual([...subjects].sort((a, b) => a.localeCompare(b)));
  });

  it('shows a subject’s versions and its own rule, or the default when it has none', async () => {
    const own = await get<SchemaSubjectView>(subjectPath(subject));
    const plain = await get<SchemaSubjectView>(subjectPath(plainSubject));
    const config = z.object({ compatibilityLevel: z.string() }).parse(await direct('/config'));

    expect(own).toEqual({
      status: 200,
      body: {
        subject,
        versions: [1, 2],
        compatibility: 'BACKWARD',
        effectiveCompatibility: 'BACKWARD',
        defaultCompatibility: config.compatibilityLevel,
      },
    });
    expect(plain.body).toMatchObject({ versions: [1], effectiveCompatibility: config.compatibilityLevel });
    // Confluent answers a subject without a rule with 404, Apicurio with the default.
    expect([null, config.compatibilityLevel]).toContain(plain.body.compatibility);
  });

  it('shows a version’s id, type and schema, formatted', async () => {
    const { status, body } = await get<SchemaVersionView>(`${subjectPath(subject)}/versions/2`);

    expect(status).toBe(200);
    expect(body).toEqual({
      subject,
      version: 2,
      id: ids[1],
      schemaType: 'JSON',
      schema: JSON.stringify(JSON.parse(v2Text), null, 2),
    });
  });

  it('compares two versions: the field added, and the lines that add it', async () => {
    const { status, body } = await get<SchemaComparison>(`${subjectPath(subject)}/compare?from=1&to=2`);

    expect(status).toBe(200);
    expect(body.from).toMatchObject({ version: 1, id: ids[0] });
    expect(body.to).toMatchObject({ version: 2, id: ids[1] });
    expect(body.differences).toEqual([{ field: 'schemaNote', change: 'added (optional)' }]);
    expect(body.summary).toBe('schemaNote: added (optional)');
    expect(body.lines.filter((l) => l.kind === 'added').map((l) => l.text.trim())).toEqual(
      expect.arrayContaining(['"schemaNote": {', '"type": "string",', '"maxLength": 200']),
    );
    expect(body.lines.filter((l) => l.kind === 'removed')).toEqual([]);
    expect(body.lines.some((l) => l.kind === 'skipped')).toBe(true);
  });

  it('answers 404 for a subject or version the registry does not have, and 400 for a version that is no number', async () => {
    const missing = await get<ApiError>(subjectPath(`${run}_missing-value`));
    const noVersion = await get<ApiError>(`${subjectPath(subject)}/versions/9`);
    const noPair = await get<ApiError>(`${subjectPath(subject)}/compare?from=1&to=9`);
    const bad = await get<ApiError>(`${subjectPath(subject)}/compare?from=0&to=x`);

    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain(`no subject ${run}_missing-value`);
    expect(noVersion.status).toBe(404);
    expect(noVersion.body.error.message).toContain(`no version 9 of ${subject}`);
    expect(noPair.status).toBe(404);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('BAD_REQUEST');
  });

  it('says no registry answers, with the fix, while the other routes still answer', async () => {
    const nowhere = `http://127.0.0.1:${await closedPort()}/apis/ccompat/v7`;
    const other = await consoleWith({ registryUrl: nowhere });
    try {
      const schemas = await get<ApiError>('/api/schemas', other.base);
      const subjectAnswer = await get<ApiError>(subjectPath(subject), other.base);
      const stack = await get<StackView>('/api/stack', other.base);

      expect(schemas.status).toBe(503);
      expect(schemas.body.error.code).toBe('SCHEMA_REGISTRY_UNAVAILABLE');
      expect(schemas.body.error.message).toContain(nowhere);
      expect(schemas.body.error.message).toContain('npm run stack:up');
      expect(subjectAnswer.status).toBe(503);
      expect(stack.status).toBe(200);
      expect(stack.body.services.map((s) => s.service)).toContain('registry');
    } finally {
      await other.running.close();
      await other.sources.close();
    }
  });
});
