// Importing a function's factory (functions/<fn>/app.ts) must read no environment and build no client;
// only its Lambda entry point (handler.ts) parses the settings and wires real clients. Each import runs in a
// fresh process (test/helpers/import-probe.ts) under an environment whose PGPORT no config can parse, so a
// module that parses the settings at load fails there, and the probe records every driver client built.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../functions/lib/errors.ts';
import { parseConfig } from '../../functions/lib/settings.ts';
import { functionNames } from '../../lib/topology.ts';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const probe = join(repoRoot, 'test', 'helpers', 'import-probe.ts');
const badEnv = { PGPORT: 'not-a-port' };
const withClients = ['store-users', 'publish-users', 'sink-users'] as const;

const reportSchema = z.object({
  imported: z.boolean(),
  error: z.object({ name: z.string(), settings: z.array(z.string()).optional() }).optional(),
  built: z.array(z.string()),
});
type Report = z.infer<typeof reportSchema> & { exitCode: number };

/** Imports `modulePath` in a fresh `node --import tsx` with `env` added, and returns the probe's report. */
function probeImport(modulePath: string, env: Record<string, string | undefined> = {}): Promise<Report> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', probe, modulePath],
      { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        const line = stdout.trim().split('\n').at(-1) ?? '';
        try {
          done({ ...reportSchema.parse(JSON.parse(line)), exitCode });
        } catch (cause) {
          fail(
            new Error(`no report from the probe of ${modulePath} (exit ${exitCode}): ${stderr}`, { cause }),
          );
        }
      },
    );
  });
}

const factories = new Map<string, Report>();
const entries = new Map<string, Report>();
const entriesWithGoodEnv = new Map<string, Report>();
let kafkaControl: Report;
let scratch: string;

beforeAll(async () => {
  // A module that builds a kafkajs client at load: it shows the probe sees that constructor too, since no
  // entry point builds its Kafka client before the first send.
  scratch = await mkdtemp(join(tmpdir(), 'import-probe-'));
  const buildsKafka = join(scratch, 'builds-kafka.ts');
  await writeFile(
    buildsKafka,
    `import { createKafka } from ${JSON.stringify(join(repoRoot, 'functions', 'lib', 'kafka.ts'))};\n` +
      `createKafka({ kafka: { brokers: ['127.0.0.1:9'], clientId: 'probe' } });\n`,
  );
  const runs = [
    ...functionNames.flatMap((fn) => [
      probeImport(`functions/${fn}/app.ts`, badEnv).then((r) => factories.set(fn, r)),
      probeImport(`functions/${fn}/handler.ts`, badEnv).then((r) => entries.set(fn, r)),
    ]),
    // The entries that build a client at load, this time with settings that parse.
    ...withClients.map((fn) =>
      probeImport(`functions/${fn}/handler.ts`, { PGPORT: undefined }).then((r) =>
        entriesWithGoodEnv.set(fn, r),
      ),
    ),
  ];
  await Promise.all([...runs, probeImport(buildsKafka).then((r) => (kafkaControl = r))]);
}, 120_000);

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe('importing a function', () => {
  it('runs under an environment that the settings schema refuses', () => {
    expect(() => parseConfig(badEnv)).toThrow(ConfigError);
  });

  it.each(functionNames)('functions/%s/app.ts loads, parses no settings and builds no client', (fn) => {
    expect(factories.get(fn)).toEqual({ imported: true, built: [], exitCode: 0 });
  });

  it.each(functionNames)('functions/%s/handler.ts fails at load with a ConfigError naming PGPORT', (fn) => {
    expect(entries.get(fn)).toMatchObject({
      imported: false,
      error: { name: 'ConfigError', settings: ['PGPORT'] },
      built: [],
      exitCode: 1,
    });
  });

  it('builds the entry points’ clients once the settings parse, and the probe sees them', () => {
    const built = (fn: string) => entriesWithGoodEnv.get(fn)?.built;

    expect(built('store-users')).toEqual(['pg.Pool']);
    expect(built('publish-users')).toEqual(['pg.Pool']);
    expect(built('sink-users')).toEqual(['cassandra-driver.Client']);
    expect(kafkaControl).toMatchObject({ imported: true, built: ['kafkajs.Kafka'] });
  });
});
