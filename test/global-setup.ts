/**
 * Vitest global setup of the integration project: brings the local stack up (reusing servers that already
 * run) and applies the migrations. It leaves the stack running afterwards, so repeated test runs start in
 * seconds; `npm run stack:down` stops it. Tests find the servers through infra/local/config.ts and the
 * PostgreSQL endpoint the stack records.
 */
import { readyStack } from '../infra/dev/ready.ts';
import { loadStackConfig } from '../infra/local/config.ts';

export default async function setup(): Promise<void> {
  await readyStack(loadStackConfig(), (line) => console.log(`stack: ${line}`));
}
