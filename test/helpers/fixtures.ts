/** The randomuser fixtures: 100 users from the real generator (see test/fixtures/randomuser/README.md). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const fixtureFile = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'randomuser',
  'results-100-seed-fixture-v1.json',
);

/** The fixture's raw response, parsed only as far as its envelope. */
export function fixtureResponse(): { results: Record<string, unknown>[]; info: Record<string, unknown> } {
  return z
    .object({
      results: z.array(z.record(z.string(), z.unknown())).length(100),
      info: z.record(z.string(), z.unknown()),
    })
    .parse(JSON.parse(readFileSync(fixtureFile, 'utf8')));
}

/** The fixture's 100 raw user records, credentials and all. */
export function fixtureUsers(): Record<string, unknown>[] {
  return fixtureResponse().results;
}
