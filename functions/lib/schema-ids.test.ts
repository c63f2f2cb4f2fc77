import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { SchemaRegistryError, type SubjectVersion } from './registry.ts';
import { createSchemaVersions, createWriterSchemaId, type SchemaLookups } from './schema-ids.ts';

const subject = 'users_created-value';

/**
 * A registry of the given versions (every one under `subject` unless it says otherwise), counting the calls
 * the two lookups make; `fail` makes the next calls fail as a registry that is down does.
 */
class FakeRegistry implements SchemaLookups {
  readonly url = 'http://registry.test/apis/ccompat/v7';
  calls = 0;
  fail = 0;

  constructor(private readonly versions: SubjectVersion[]) {}

  private call(): void {
    this.calls++;
    if (this.fail > 0) {
      this.fail--;
      throw new SchemaRegistryError('registry down', { status: 503 });
    }
  }

  async find(on: string, schema: string): Promise<SubjectVersion | undefined> {
    this.call();
    return this.versions.find((v) => v.subject === on && v.schema === schema);
  }

  async schemaById(id: number): Promise<string> {
    this.call();
    const found = this.versions.find((v) => v.id === id);
    if (found === undefined) throw new SchemaRegistryError(`no schema ${id}`, { status: 404 });
    return found.schema;
  }
}

const v1: SubjectVersion = { subject, version: 1, id: 7, schema: '{"title":"v1"}' };
const v2: SubjectVersion = { subject, version: 2, id: 9, schema: '{"title":"v2"}' };
const elsewhere: SubjectVersion = { subject: 'other-value', version: 1, id: 11, schema: '{"title":"x"}' };

describe('createWriterSchemaId', () => {
  it('looks the id of the schema up once, and registers nothing', async () => {
    const fake = new FakeRegistry([v1, v2]);
    const id = createWriterSchemaId(fake, subject, v1.schema);

    const ids = [await id(), await id()];

    expect(ids).toEqual([7, 7]);
    expect(fake.calls).toBe(1);
  });

  it('says to run the migrations when the subject lacks the schema', async () => {
    const id = createWriterSchemaId(new FakeRegistry([v2]), subject, v1.schema);

    const error = await id().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'SCHEMA_NOT_REGISTERED', settings: ['SCHEMA_REGISTRY_URL'] });
    expect((error as Error).message).toContain('npm run migrate');
  });

  it('asks again after a failure instead of keeping it', async () => {
    const fake = new FakeRegistry([v1]);
    fake.fail = 1;
    const id = createWriterSchemaId(fake, subject, v1.schema);

    await expect(id()).rejects.toMatchObject({ name: 'SchemaRegistryError', retryable: true });
    await expect(id()).resolves.toBe(7);
  });
});

describe('createSchemaVersions', () => {
  it('answers the version of an id of the subject, asking the registry once per id', async () => {
    const fake = new FakeRegistry([v1, v2]);
    const versions = createSchemaVersions(fake, subject);

    const answers = await Promise.all([versions.versionOf(9), versions.versionOf(9), versions.versionOf(7)]);
    const again = await versions.versionOf(9);

    expect(answers.map((a) => a?.version)).toEqual([2, 2, 1]);
    expect(again).toEqual(v2);
    expect(fake.calls).toBe(4);
  });

  it('says an id is unknown when the registry has none, or it is a version of another subject', async () => {
    const versions = createSchemaVersions(new FakeRegistry([v1, elsewhere]), subject);

    expect(await versions.versionOf(404)).toBeUndefined();
    expect(await versions.versionOf(11)).toBeUndefined();
  });

  it('keeps an unknown id unknown for the TTL, then asks again', async () => {
    let clock = 0;
    const fake = new FakeRegistry([]);
    const versions = createSchemaVersions(fake, subject, { unknownTtlMs: 1_000, now: () => clock });

    await versions.versionOf(5);
    clock = 999;
    await versions.versionOf(5);
    const beforeTtl = fake.calls;
    clock = 1_000;
    await versions.versionOf(5);

    expect(beforeTtl).toBe(1);
    expect(fake.calls).toBe(2);
  });

  it('keeps no failure: the next question asks the registry again', async () => {
    const fake = new FakeRegistry([v1]);
    fake.fail = 1;
    const versions = createSchemaVersions(fake, subject);

    await expect(versions.versionOf(7)).rejects.toBeInstanceOf(SchemaRegistryError);
    await expect(versions.versionOf(7)).resolves.toEqual(v1);
  });
});
