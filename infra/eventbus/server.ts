/**
 * infra/eventbus is a local stand-in for EventBridge's `PutEvents` API, for tests and for `sls invoke local`
 * without AWS. It speaks the AWS JSON 1.1 protocol the SDK uses, records every entry it accepts as the
 * EventBridge event a rule target would receive, and can be told to fail entries, so the callers'
 * `FailedEntryCount` handling is tested against a real HTTP exchange. It does not match rules or invoke
 * functions: under `sls offline start` that is serverless-offline-aws-eventbridge's job. It depends on no
 * other room of infra/.
 *
 * This module is the server; `cli.ts` runs it alone (`npm run eventbus`), printing one line per event.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { limits } from '../../lib/topology.ts';

/** An event as a rule target receives it. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  /** Not part of AWS's shape: the bus the entry was put on. */
  eventBusName: string;
}

/**
 * An event as EventBridge hands it to a rule's target, with a fresh id and the current time (to the second,
 * as EventBridge writes it).
 */
export function busEvent<D>(
  source: string,
  detailType: string,
  detail: D,
  options: { busName?: string | undefined; resources?: string[] | undefined } = {},
): BusEvent & { detail: D } {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: '000000000000',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: options.resources ?? [],
    detail,
    eventBusName: options.busName ?? 'default',
  };
}

const putEventsSchema = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().min(1),
        DetailType: z.string().min(1),
        Detail: z.string(),
        EventBusName: z.string().optional(),
        Resources: z.array(z.string()).optional(),
        Time: z.union([z.string(), z.number()]).optional(),
      }),
    )
    .min(1)
    .max(limits.putEventsMaxEntries),
});

/** A running bus. */
export interface LocalEventBus {
  /** The endpoint to give the SDK, e.g. `http://127.0.0.1:4010`. */
  endpoint: string;
  /** Every event accepted so far, in order. */
  readonly events: BusEvent[];
  /** Every `PutEvents` call received, accepted entries or not. */
  readonly calls: number;
  /** Fails the next `count` entries with `code` (default `InternalFailure`), as EventBridge reports it. */
  failNextEntries(count: number, code?: string): void;
  /** Events of one detail type. */
  ofType(detailType: string): BusEvent[];
  close(): Promise<void>;
}

// One PutEvents call's entries at most, and room for the JSON envelope around them.
const maxRequestBytes = limits.putEventsMaxBytes + 64 * 1024;

/**
 * Starts the bus on `host:port` (port 0 picks a free one).
 *
 * @param onEvent - called for each accepted event, e.g. to print it
 */
export async function startLocalEventBus(
  options: { host?: string; port?: number; onEvent?: (event: BusEvent) => void } = {},
): Promise<LocalEventBus> {
  const events: BusEvent[] = [];
  let calls = 0;
  let failures: { remaining: number; code: string } = { remaining: 0, code: 'InternalFailure' };

  const server: Server = createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
      reply(400, { __type: 'UnknownOperationException', message: 'only AWSEvents.PutEvents is served here' });
      return;
    }
    calls++;
    let parsed: z.output<typeof putEventsSchema>;
    try {
      parsed = putEventsSchema.parse(JSON.parse(await readBody(req)));
    } catch (error) {
      reply(400, {
        __type: 'ValidationException',
        message: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    const results = parsed.Entries.map((entry) => {
      if (failures.remaining > 0) {
        failures = { ...failures, remaining: failures.remaining - 1 };
        return { ErrorCode: failures.code, ErrorMessage: 'failed on purpose by the local event bus' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
      const event = busEvent(entry.Source, entry.DetailType, detail, {
        busName: entry.EventBusName,
        resources: entry.Resources,
      });
      events.push(event);
      options.onEvent?.(event);
      return { EventId: event.id };
    });
    reply(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    events,
    get calls() {
      return calls;
    },
    failNextEntries(count, code = 'InternalFailure') {
      failures = { remaining: count, code };
    },
    ofType: (detailType) => events.filter((e) => e['detail-type'] === detailType),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.byteLength;
    if (size > maxRequestBytes) throw new Error(`the request is over ${maxRequestBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
