// Starts the real CLI (one tsx process, about a second) on an ephemeral loopback port.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

function startCli(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const firstLine = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`cli exited with ${code} before printing`)));
  });
  firstLine.catch(() => undefined); // Read by the test; this only keeps a late exit from being unhandled.
  return { child, firstLine };
}

describe('cli', () => {
  it('prints its URL, honours the env fallbacks, and exits cleanly on SIGTERM', {
    timeout: 30_000,
  }, async () => {
    const { child, firstLine } = startCli(['--host', '127.0.0.1'], {
      RANDOMUSER_PORT: '0',
      RANDOMUSER_RATE_LIMIT: '3/60',
    });
    try {
      const line = await firstLine;
      const url = /^randomuser: listening on (http:\/\/127\.0\.0\.1:\d+\/api\/1\.4\/)$/.exec(line)?.[1];
      expect(url, line).toBeDefined();
      expect((await fetch(`${url}?results=3`)).status).toBe(200);
      expect((await fetch(`${url}?results=1`)).status).toBe(429);
    } finally {
      child.kill('SIGTERM');
    }
    const [code, signal] = await once(child, 'exit');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
