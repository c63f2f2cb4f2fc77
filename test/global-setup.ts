/**
 * Vitest global setup of the integration project: brings the local stack up (reusing servers that already
 * run), applies the migrations, and exports the PostgreSQL endpoint to the test workers' environment.
 * It leaves the stack running afterwards, so repeated test runs start in seconds; `npm run stack:down` stops it.
 */
import { loadStackConfig } from '../infra/local/config.ts';
import { up } from '../infra/local/stack.ts';
import { formatSummary, migrate } from '../infra/migrations/migrate.ts';

export default async function setup(): Promise<void> {
  const cfg = loadStackConfig();
  const results = await up(cfg, { log: (line) => console.log(line) });
  for (const r of results) {
    console.log(
      `stack: ${r.name} ${r.version} ${r.outcome}${r.outcome === 'started' ? ` in ${r.seconds.toFixed(1)}s` : ''}`,
    );
  }
  for (const line of formatSummary(await migrate(undefined, { config: cfg })))
    console.log(`migrate: ${line}`);
}
