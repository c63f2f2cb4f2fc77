/**
 * `npm start` as a user runs it: the stack comes up (or is reused), migrations apply, and serverless-offline
 * serves the functions; Ctrl-C (SIGINT to the process group) stops serverless-offline and frees its ports.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/config.ts';
import { portOpen } from '../../infra/local/proc.ts';
import { eventually } from '../helpers/stack.ts';

describe('npm start', () => {
  it('serves the functions under serverless-offline against the stack and the local APIs, and stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const pid = child.pid;
    if (pid === undefined) throw new Error('npm start did not spawn');

    try {
      const viaHttp = await eventually(
        'GET /local/ping under serverless-offline',
        async () => {
          const res = await fetch('http://127.0.0.1:3000/local/ping');
          return res.ok ? ((await res.json()) as unknown) : undefined;
        },
        120_000,
      );
      const viaInvokeApi = await fetch(
        'http://127.0.0.1:3002/2015-03-31/functions/realtime-user-pipeline-local-ping/invocations',
        { method: 'POST', body: '{}' },
      );
      const invoked = (await viaInvokeApi.json()) as { statusCode: number; body: string };

      const fetched = await fetch(
        'http://127.0.0.1:3002/2015-03-31/functions/realtime-user-pipeline-local-fetch-users/invocations',
        { method: 'POST', body: JSON.stringify({ seed: 'npm-start', total: 10 }) },
      );

      expect(await fetched.json()).toMatchObject({ seed: 'npm-start', received: 10, published: 10 });
      await eventually('the local event bus to print UsersFetched', async () =>
        output.includes('[eventbus] UsersFetched from realtime-user-pipeline') ? true : undefined,
      );
      expect(output).toContain('[start] randomuser API: http://127.0.0.1:3100/api/1.4/ (local)');
      expect(viaHttp).toMatchObject({ ok: true, stage: 'local', service: 'realtime-user-pipeline' });
      expect(invoked.statusCode).toBe(200);
      expect(JSON.parse(invoked.body)).toMatchObject({ ok: true });
      expect(output).toMatch(/migrate: postgres .*database pipeline/);
      expect(output).toMatch(/migrate: kafka .*users_created/);
    } finally {
      process.kill(-pid, 'SIGINT');
    }
    const code = await exited;

    expect(code).toBe(0);
    await eventually('serverless-offline to release its ports', async () =>
      (await Promise.all([3000, 3002, 3100, 4010].map((port) => portOpen('127.0.0.1', port)))).some(Boolean)
        ? undefined
        : true,
    );
  });
});
