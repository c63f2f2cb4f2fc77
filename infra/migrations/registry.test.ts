import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CompatibilityLevel,
  type SchemaRegistryClient,
  SchemaRegistryError,
  type SubjectVersion,
} from '../../functions/lib/registry.ts';
import { SchemaIncompatibleError, ServerUnreachableError } from './errors.ts';
import { migrateRegistry, type RegistryMigrationOptions, registryDefaults } from './registry.ts';

const v1 = JSON.stringify({
  $id: 'users-created.value.v1.json',
  properties: { batchId: { type: 'string' } },
});
const dir = mkdtempSync(join(tmpdir(), 'registry-migration-'));
const schemaFile = join(dir, 'users-created.value.v1.json');
writeFileSync(schemaFile, v1);

/** An in-memory registry with Apicurio's answers: a subject without a rule reads NONE; `refuse` rejects versions. */
function fakeRegistry(options: { refuse?: boolean } = {}) {
  const subjects = new Map<string, { rule: CompatibilityLevel; versions: SubjectVersion[] }>();
  const calls: string[] = [];
  let nextId = 1;
  const client: SchemaRegistryClient = {
    url: 'http://registry.test/apis/ccompat/v7',
    compatibility: async (subject) => subjects.get(subject)?.rule,
    setCompatibility: async (subject, level) => {
      calls.push(`set ${level}`);
      const s = subjects.get(subject);
      if (s) s.rule = level;
    },
    find: async (subject, schema) => subjects.get(subject)?.versions.find((v) => v.schema === schema),
    latest: async (subject) => subjects.get(subject)?.versions.at(-1),
    schemaById: async () => '{}',
    register: async (subject, schema) => {
      calls.push('register');
      const s = subjects.get(subject) ?? { rule: 'NONE' as const, versions: [] };
      if (options.refuse && s.versions.length > 0) throw new SchemaRegistryError('refused', { status: 409 });
      const version = { subject, version: s.versions.length + 1, id: nextId++, schema };
      s.versions.push(version);
      subjects.set(subject, s);
      return { id: version.id };
    },
    checkCompatibility: async (subject) => ({
      compatible: !(options.refuse && (subjects.get(subject)?.versions.length ?? 0) > 0),
      messages: [],
    }),
  };
  return { client, subjects, calls };
}

function optionsFor(client: SchemaRegistryClient, overrides: Partial<RegistryMigrationOptions> = {}) {
  return {
    ...registryDefaults,
    client,
    reachable: async () => true,
    whenAbsent: 'fail' as const,
    subject: 'users_created-value',
    schemaFile,
    log: () => undefined,
    ...overrides,
  };
}

describe('migrateRegistry', () => {
  it('registers the file, then sets BACKWARD; a second run registers nothing and keeps the id', async () => {
    const { client, calls } = fakeRegistry();

    const first = await migrateRegistry(optionsFor(client));
    const second = await migrateRegistry(optionsFor(client));

    expect(first).toMatchObject({ action: 'registered', id: 1, version: 1, compatibility: 'BACKWARD' });
    expect(first).toMatchObject({ previousCompatibility: 'NONE' });
    expect(second).toEqual({
      endpoint: client.url,
      subject: 'users_created-value',
      action: 'present',
      id: 1,
      version: 1,
      compatibility: 'BACKWARD',
    });
    expect(calls).toEqual(['register', 'set BACKWARD']);
  });

  it('takes the version and the rule another run registered at the same moment as its own', async () => {
    const { client, calls } = fakeRegistry();
    // The other run registers the same file, and sets the rule, just before this run's own calls.
    const racing: SchemaRegistryClient = {
      ...client,
      register: async (subject, schema) => {
        await client.register(subject, schema);
        throw new SchemaRegistryError('conflict', { status: 409 });
      },
      setCompatibility: async (subject, level) => {
        await client.setCompatibility(subject, level);
        throw new SchemaRegistryError('rule exists', { status: 409 });
      },
    };

    const result = await migrateRegistry(optionsFor(racing));

    expect(result).toMatchObject({ action: 'present', id: 1, version: 1, compatibility: 'BACKWARD' });
    expect(calls).toEqual(['register', 'set BACKWARD']);
  });

  it('still fails when a register that failed left no version of the file', async () => {
    const { client } = fakeRegistry();
    const failing: SchemaRegistryClient = {
      ...client,
      register: async () => {
        throw new SchemaRegistryError('registry down', { status: 503 });
      },
    };

    await expect(migrateRegistry(optionsFor(failing))).rejects.toThrow('registry down');
  });

  it('keeps a stricter rule, and raises a weaker one to BACKWARD', async () => {
    const { client, subjects } = fakeRegistry();
    await migrateRegistry(optionsFor(client));
    const subject = subjects.get('users_created-value');
    if (!subject) throw new Error('no subject');

    subject.rule = 'FULL_TRANSITIVE';
    const stricter = await migrateRegistry(optionsFor(client));
    subject.rule = 'FORWARD';
    const weaker = await migrateRegistry(optionsFor(client));

    expect(stricter).toMatchObject({ action: 'present', compatibility: 'FULL_TRANSITIVE' });
    expect(weaker).toMatchObject({ compatibility: 'BACKWARD', previousCompatibility: 'FORWARD' });
  });

  it('stops with the fields named and the fix when the registry refuses an edited v1', async () => {
    const { client } = fakeRegistry({ refuse: true });
    await client.register(
      'users_created-value',
      JSON.stringify({
        $id: 'users-created.value.v1.json',
        properties: { batchId: { type: 'string' }, cell: { type: 'string' } },
      }),
    );

    const error = await migrateRegistry(optionsFor(client)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaIncompatibleError);
    expect(error).toMatchObject({
      code: 'SCHEMA_INCOMPATIBLE',
      retryable: false,
      differences: [{ field: 'cell', change: 'removed' }],
    });
    expect(String(error)).toContain('cell: removed');
    expect(String(error)).toContain('an earlier text of users-created.value.v1.json: v1 was edited in place');
    expect(String(error)).toContain('npm run stack:reset');
  });

  it('skips with a line saying so when no registry answers and one is optional, and fails when it is not', async () => {
    const { client, calls } = fakeRegistry();
    const lines: string[] = [];

    const skipped = await migrateRegistry(
      optionsFor(client, { reachable: async () => false, whenAbsent: 'skip', log: (l) => lines.push(l) }),
    );
    const failed = await migrateRegistry(optionsFor(client, { reachable: async () => false })).catch(
      (e: unknown) => e,
    );

    expect(skipped).toMatchObject({ action: 'skipped' });
    expect(lines).toEqual([expect.stringContaining('users_created-value is not registered')]);
    expect(failed).toBeInstanceOf(ServerUnreachableError);
    expect(failed).toMatchObject({ server: 'Schema Registry', retryable: true });
    expect(calls).toEqual([]);
  });
});
