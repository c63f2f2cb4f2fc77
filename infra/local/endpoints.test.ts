import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStackConfig } from './config.ts';
import { postgresEndpointFile, resolvePostgres } from './endpoints.ts';
import { InvalidEndpointFileError } from './errors.ts';

describe('resolvePostgres', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'stack-state-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true });
  });

  it('falls back to the configured server when the stack wrote no endpoint', () => {
    const cfg = loadStackConfig({ LOCAL_STACK_DIR: stateDir, PGPORT: '5433', PGUSER: 'me' });

    expect(resolvePostgres(cfg)).toEqual({ host: '127.0.0.1', port: 5433, user: 'me', database: 'pipeline' });
  });

  it('uses the endpoint the stack wrote, ignoring unknown keys', async () => {
    const cfg = loadStackConfig({ LOCAL_STACK_DIR: stateDir });
    const written = {
      host: '127.0.0.1',
      port: 55432,
      user: 'pipeline',
      database: 'pipeline',
      managed: true,
      x: 1,
    };
    await writeFile(postgresEndpointFile(cfg), JSON.stringify(written));

    expect(resolvePostgres(cfg)).toEqual({
      host: '127.0.0.1',
      port: 55432,
      user: 'pipeline',
      database: 'pipeline',
      managed: true,
    });
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['{"host": "127.0.0.1", "port": "5432", "user": "u", "database": "d"}', 'port:'],
  ])('rejects a malformed endpoint file %j, naming it', async (content, reason) => {
    const cfg = loadStackConfig({ LOCAL_STACK_DIR: stateDir });
    await writeFile(postgresEndpointFile(cfg), content);

    const act = () => resolvePostgres(cfg);

    expect(act).toThrow(InvalidEndpointFileError);
    expect(act).toThrow(postgresEndpointFile(cfg));
    expect(act).toThrow(reason);
  });
});
