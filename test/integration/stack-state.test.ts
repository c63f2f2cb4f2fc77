/**
 * Unusable local state is refused with a message naming `stack:reset`, and `stack:reset` wipes the state
 * but keeps the jar cache. Each test uses its own state directory and ports, so the shared stack is untouched.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStackConfig, type StackConfig } from '../../infra/local/config.ts';
import { resolvePostgres } from '../../infra/local/endpoints.ts';
import { CorruptStateError, ToolchainError } from '../../infra/local/errors.ts';
import { down, status, up } from '../../infra/local/stack.ts';
import { repoRoot } from '../../lib/paths.ts';
import { uniqueName } from '../helpers/stack.ts';

const run = promisify(execFile);

describe('local stack state', () => {
  let stateDir: string;
  let cfg: StackConfig;
  // Its own, so that a reset here never drops the shared stack's registry database.
  const registryDatabase = uniqueName('it_registry');
  const env = () => ({
    ...process.env,
    LOCAL_STACK_DIR: stateDir,
    KAFKA_PORT: '29092',
    KAFKA_CONTROLLER_PORT: '29093',
    CASSANDRA_PORT: '29042',
    CASSANDRA_STORAGE_PORT: '27000',
    CASSANDRA_JMX_PORT: '27199',
    REGISTRY_PORT: '28081',
    REGISTRY_MANAGEMENT_PORT: '28082',
    REGISTRY_PGDATABASE: registryDatabase,
  });

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'stack-state-'));
    // A private PostgreSQL may run as the `postgres` account, which must be able to reach its folder.
    await chmod(stateDir, 0o755);
    cfg = loadStackConfig(env());
  });
  afterEach(async () => {
    await down(cfg);
    await rm(stateDir, { recursive: true, force: true });
  });

  /** A script that impersonates a tool by printing `output` on stderr and stdout. */
  async function fakeTool(name: string, output: string): Promise<string> {
    const bin = join(stateDir, 'fake-home', 'bin');
    await mkdir(bin, { recursive: true });
    const file = join(bin, name);
    await writeFile(file, `#!/bin/sh\necho '${output}' >&2\necho '${output}'\n`);
    await chmod(file, 0o755);
    return bin;
  }

  it('starts a private PostgreSQL cluster with the pipeline database when none answers at PGHOST:PGPORT', async () => {
    cfg = loadStackConfig({ ...env(), PGPORT: '29998', LOCAL_PG_PORT: '29432' });

    const [result] = await up(cfg, { only: ['postgres'] });
    const endpoint = resolvePostgres(cfg);
    const client = new pg.Client({ ...endpoint });
    await client.connect();
    const row = await client.query('SELECT current_database() AS db, 1 AS one');
    await client.end();

    expect(result).toMatchObject({ name: 'postgres', outcome: 'started', cold: true });
    expect(endpoint).toMatchObject({ host: '127.0.0.1', port: 29432, database: 'pipeline', managed: true });
    expect(row.rows).toEqual([{ db: 'pipeline', one: 1 }]);
  });

  it('fails early, naming the minimum version, when Java is missing or too old', async () => {
    const oldJava = await fakeTool('java', 'openjdk version "11.0.22" 2024-01-16');

    const tooOld = up(loadStackConfig({ ...env(), JAVA_HOME: join(oldJava, '..') }), { only: ['kafka'] });
    await expect(tooOld).rejects.toBeInstanceOf(ToolchainError);
    await expect(tooOld).rejects.toThrow(/Java 17 or newer is required, found 11\.0\.22.*openjdk-17/);

    const missing = up(loadStackConfig({ ...env(), JAVA_HOME: join(stateDir, 'no-jdk') }), {
      only: ['kafka'],
    });
    await expect(missing).rejects.toThrow(/Java was not found .*Install a JDK 17/);
  });

  it('fails early, naming REGISTRY_JAVA_HOME, when the JDK it names is too old for the registry', async () => {
    const java17 = await fakeTool('java', 'openjdk version "17.0.15" 2025-04-15');
    const home = join(java17, '..');

    const attempt = up(loadStackConfig({ ...env(), REGISTRY_JAVA_HOME: home }), { only: ['registry'] });

    await expect(attempt).rejects.toBeInstanceOf(ToolchainError);
    await expect(attempt).rejects.toThrow(`REGISTRY_JAVA_HOME=${home} is not a Java 21 or newer JDK`);
    expect(existsSync(join(stateDir, 'registry', 'registry.pid'))).toBe(false);
  });

  it.skipIf(loadStackConfig().external)(
    "starts a registry on a database of its own, which stack:reset drops with the registry's folder",
    async () => {
      const [, registry] = await up(cfg, { only: ['postgres', 'registry'] });
      const databases = async () => {
        const client = new pg.Client({ ...resolvePostgres(cfg), database: 'postgres' });
        await client.connect();
        const rows = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [registryDatabase]);
        await client.end();
        return rows.rowCount;
      };
      const before = await databases();

      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'infra/local/cli.ts', 'reset', '--yes'],
        {
          cwd: repoRoot,
          env: env(),
        },
      );

      expect(registry).toMatchObject({ name: 'registry', outcome: 'started', cold: true });
      expect(before).toBe(1);
      expect(stdout).toContain(`dropped database ${registryDatabase} at`);
      expect(await databases()).toBe(0);
      expect(existsSync(join(stateDir, 'registry'))).toBe(false);
    },
  );

  it('fails early, naming the minimum version, when Maven is too old and jars must be resolved', async () => {
    const bin = await fakeTool('mvn', 'Apache Maven 3.5.4');
    const withOldMaven = {
      ...env(),
      LOCAL_JARS_DIR: join(stateDir, 'jars'),
      PATH: `${bin}:${process.env.PATH}`,
    };
    const previousPath = process.env.PATH;
    process.env.PATH = withOldMaven.PATH;
    try {
      const attempt = up(loadStackConfig(withOldMaven), { only: ['kafka'] });

      await expect(attempt).rejects.toBeInstanceOf(ToolchainError);
      await expect(attempt).rejects.toThrow(/Maven 3\.6\.3 or newer is required, found 3\.5\.4/);
    } finally {
      process.env.PATH = previousPath;
    }
  });

  it('with LOCAL_STACK_EXTERNAL uses the servers already running and starts none', async () => {
    const shared = loadStackConfig();
    cfg = loadStackConfig({
      ...process.env,
      LOCAL_STACK_DIR: stateDir,
      LOCAL_STACK_EXTERNAL: '1',
      KAFKA_PORT: String(shared.kafka.port),
      CASSANDRA_PORT: String(shared.cassandra.port),
      REGISTRY_PORT: String(shared.registry.port),
    });

    const results = await up(cfg);
    const rows = await status(cfg);

    expect(results.map((r) => [r.name, r.outcome, r.pid])).toEqual([
      ['kafka', 'external', undefined],
      ['cassandra', 'external', undefined],
      ['postgres', 'external', undefined],
      ['registry', 'external', undefined],
    ]);
    expect(rows.map((r) => [r.service, r.health, r.managed])).toEqual([
      ['kafka', 'healthy', false],
      ['cassandra', 'healthy', false],
      ['postgres', 'healthy', false],
      ['registry', 'healthy', false],
    ]);
    expect(results.find((r) => r.name === 'registry')?.version).toBe(shared.registry.version);
    expect(existsSync(join(stateDir, 'kafka'))).toBe(false);
    expect(existsSync(join(stateDir, 'registry'))).toBe(false);
  });

  it('with LOCAL_STACK_EXTERNAL and no server at a port, says so and how to start one', async () => {
    cfg = loadStackConfig({ ...env(), LOCAL_STACK_EXTERNAL: 'true' });

    await expect(up(cfg, { only: ['cassandra'] })).rejects.toThrow(
      /no cassandra answers at 127\.0\.0\.1:29042.*docker compose up -d --wait/,
    );
  });

  it('refuses Kafka data that this stack did not create', async () => {
    await mkdir(join(stateDir, 'kafka', 'data'), { recursive: true });
    await writeFile(join(stateDir, 'kafka', 'data', 'meta.properties'), 'node.id=1\n');

    const attempt = up(cfg, { only: ['kafka'] });

    await expect(attempt).rejects.toBeInstanceOf(CorruptStateError);
    await expect(attempt).rejects.toThrow(/no STATE_VERSION stamp[\s\S]*npm run stack:reset/);
  });

  it('refuses Kafka data whose meta.properties is damaged', async () => {
    await mkdir(join(stateDir, 'kafka', 'data'), { recursive: true });
    await writeFile(join(stateDir, 'kafka', 'STATE_VERSION'), `${cfg.kafka.version}\n`);
    await writeFile(join(stateDir, 'kafka', 'data', 'meta.properties'), '\u0000\u0000garbage');

    await expect(up(cfg, { only: ['kafka'] })).rejects.toThrow(
      /meta\.properties is missing[\s\S]*stack:reset/,
    );
  });

  it('reports a Kafka that fails on its damaged data at start-up as corrupt state, naming stack:reset', async () => {
    await up(cfg, { only: ['kafka'] });
    await down(cfg, { only: ['kafka'] });
    await writeFile(join(stateDir, 'kafka', 'data', '__cluster_metadata-0', 'quorum-state'), 'garbage{');

    const attempt = up(cfg, { only: ['kafka'] });

    await expect(attempt).rejects.toBeInstanceOf(CorruptStateError);
    await expect(attempt).rejects.toThrow(/Quorum status[\s\S]*npm run stack:reset/);
    expect((await status(cfg)).find((r) => r.service === 'kafka')?.health).toBe('stopped');
  });

  it('refuses Cassandra data written by another version', async () => {
    await mkdir(join(stateDir, 'cassandra', 'data', 'system'), { recursive: true });
    await writeFile(join(stateDir, 'cassandra', 'STATE_VERSION'), '4.1.3\n');

    await expect(up(cfg, { only: ['cassandra'] })).rejects.toThrow(
      new RegExp(
        `created by cassandra 4\\.1\\.3, and this stack runs ${cfg.cassandra.version.replaceAll('.', '\\.')}`,
      ),
    );
  });

  it('stack:reset --yes wipes the state and keeps the jar cache; without --yes and a terminal it refuses', async () => {
    await mkdir(join(stateDir, 'kafka', 'data'), { recursive: true });
    await mkdir(join(stateDir, 'cassandra', 'data'), { recursive: true });
    const cli = (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'infra/local/cli.ts', ...args], {
        cwd: repoRoot,
        env: env(),
      });

    const refused = await cli(['reset']).then(
      () => 'ran',
      (error: { code: number; stderr: string }) => `${error.code}: ${error.stderr}`,
    );
    const stillThere = existsSync(join(stateDir, 'kafka', 'data'));
    await cli(['reset', '--yes']);

    expect(refused).toMatch(/^1: .*pass --yes to confirm/);
    expect(stillThere).toBe(true);
    expect(existsSync(join(stateDir, 'kafka'))).toBe(false);
    expect(existsSync(join(stateDir, 'cassandra'))).toBe(false);
    expect(existsSync(join(cfg.jarsDir, 'kafka', '.resolved'))).toBe(true);
  });
});
