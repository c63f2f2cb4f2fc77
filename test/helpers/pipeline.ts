/** Helpers for the functions' integration tests: fresh users, EventBridge events, and captured logs. */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { vi } from 'vitest';
import { eventSource, type User, userSchema } from '../../functions/lib/schemas.ts';
import { busEvent } from '../../infra/eventbus/server.ts';
import { generateUsers } from '../../infra/randomuser/index.ts';
import { fixtureUsers } from './fixtures.ts';

/**
 * `count` raw randomuser records (credentials included, as the API sends them) cycled from the fixtures,
 * each with a fresh `login.uuid`, so tests sharing the tables never collide.
 */
export function freshRawUsers(count: number): Record<string, unknown>[] {
  const fixtures = fixtureUsers();
  return Array.from({ length: count }, (_, i) => {
    const raw = structuredClone(fixtures[i % fixtures.length] ?? {});
    const login = userSchema.shape.login.loose().parse(raw.login);
    return { ...raw, login: { ...login, uuid: randomUUID() } };
  });
}

/** Like {@link freshRawUsers}, validated and without credentials, as they travel in `UsersFetched`. */
export function freshUsers(count: number): User[] {
  return freshRawUsers(count).map((raw) => userSchema.parse(raw));
}

/** An event of the pipeline as an EventBridge rule's target receives it. */
export function pipelineEvent<D>(detailType: string, detail: D) {
  return busEvent(eventSource, detailType, detail);
}

/**
 * Captures everything written to stdout and stderr (where Powertools Logger writes) until `restore()`,
 * without echoing it.
 */
export function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      const callback = rest.find((arg) => typeof arg === 'function');
      if (typeof callback === 'function') callback();
      return true;
    }),
  );
  return {
    text: () => chunks.join(''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** A logger for tests, at DEBUG so the tests see every line the functions can write. */
export function testLogger(serviceName: string): Logger {
  return new Logger({ serviceName, logLevel: 'DEBUG' });
}

/**
 * The ids fetch-users puts through for `seed` from the local randomuser API: its generator is deterministic
 * per seed, and pages of one seed continue one sequence.
 */
export function seededIds(seed: string, total: number): string[] {
  return (generateUsers({ seed, page: 1, results: total }).results ?? []).map((u) => {
    const id = u.login?.uuid;
    if (!id) throw new Error('the generator left out login.uuid');
    return id;
  });
}
