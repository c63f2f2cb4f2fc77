/**
 * Runs the local randomuser.me API until SIGTERM or SIGINT:
 *
 *   npx tsx infra/randomuser/cli.ts [--port 3100] [--host 127.0.0.1] [--rate-limit 20000/300] [--faults JSON]
 *
 * Each flag falls back to an environment variable: RANDOMUSER_PORT (3100), RANDOMUSER_HOST (127.0.0.1),
 * RANDOMUSER_RATE_LIMIT (`USERS/SECONDS`, or `off`; off by default) and RANDOMUSER_FAULTS (a JSON object
 * as accepted by `POST /__admin/faults`).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ports } from '../../lib/topology.ts';
import { type FaultsPatch, parseRateLimit } from './faults.ts';
import { startRandomUserServer } from './server.ts';

const settingsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1),
  rateLimit: z.string(),
  faults: z.string(),
});

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'rate-limit': { type: 'string' },
      faults: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      `usage: tsx infra/randomuser/cli.ts [--port ${ports.randomuser}] [--host 127.0.0.1] [--rate-limit 20000/300] [--faults JSON]`,
    );
    return;
  }
  const settings = settingsSchema.parse({
    port: values.port ?? env.RANDOMUSER_PORT ?? ports.randomuser,
    host: values.host ?? env.RANDOMUSER_HOST ?? '127.0.0.1',
    rateLimit: values['rate-limit'] ?? env.RANDOMUSER_RATE_LIMIT ?? '',
    faults: values.faults ?? env.RANDOMUSER_FAULTS ?? '',
  });
  let faults: FaultsPatch = {};
  try {
    if (settings.faults.trim() !== '') faults = JSON.parse(settings.faults) as FaultsPatch;
  } catch (err) {
    throw new Error(`--faults / RANDOMUSER_FAULTS is not JSON: ${(err as Error).message}`);
  }
  const rateLimit = parseRateLimit(settings.rateLimit);
  if (rateLimit) faults.rateLimit = rateLimit;

  const handle = await startRandomUserServer({ host: settings.host, port: settings.port, faults });
  console.log(`randomuser: listening on ${handle.url}`);
  const shutdown = () => {
    void handle.close();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main(process.argv.slice(2), process.env).catch((err: unknown) => {
  const message =
    err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
  console.error(`randomuser: ${message}`);
  process.exit(1);
});
