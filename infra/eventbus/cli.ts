/**
 * `npm run eventbus [-- --port 4010 --host 127.0.0.1]`: runs the local PutEvents endpoint alone until SIGINT or
 * SIGTERM, printing one line per accepted event (its time, detail type and batch id). The port defaults to the
 * local EventBridge's (lib/topology.ts), where serverless.yml's local stage points the functions.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ports } from '../../lib/topology.ts';
import { startLocalEventBus } from './server.ts';

const { values } = parseArgs({
  options: { port: { type: 'string', default: String(ports.eventBus) }, host: { type: 'string' } },
});
const bus = await startLocalEventBus({
  port: z.coerce.number().int().min(0).max(65535).parse(values.port),
  ...(values.host ? { host: values.host } : {}),
  onEvent: (event) => {
    const detail = z.object({ batchId: z.string().optional() }).loose().safeParse(event.detail);
    console.log(`${event.time} ${event['detail-type']} ${detail.success ? (detail.data.batchId ?? '') : ''}`);
  },
});
console.log(`eventbus: PutEvents endpoint at ${bus.endpoint}`);
const stop = () => void bus.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
