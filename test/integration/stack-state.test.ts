/**
 * Unusable local state is refused with a message naming `stack:reset`, and `stack:reset` wipes the state
 * but keeps the jar cache. Each test uses its own state directory and ports, so the shared stack is untouched.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStackConfig, repoRoot, type StackConfig } from '../../infra/local/config.ts';
import { CorruptStateError } from '../../infra/local/errors.ts';
import { up } from '../../infra/local/stack.ts';

const run = promisify(execFile);

describe('local stack state', () => {
  let stateDir: string;
  let cfg: StackConfig;
  const env = () => ({
    ...process.env,
    LOCAL_STACK_DIR: stateDir,
    KAFKA_PORT: '29092',
    KAFKA_CONTROLLER_PORT: '29093',
    CASSANDRA_PORT: '29042',
    CASSANDRA_STORAGE_PORT: '27000',
    CASSANDRA_JMX_PORT: '27199',
  });

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'stack-state-'));
    cfg = loadStackConfig(env());
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
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
