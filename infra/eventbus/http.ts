/**
 * The HTTP side of a local `PutEvents` endpoint, shared by the recording stand-in (server.ts) and the durable
 * bus (bus.ts): it reads the request, lets protocol.ts check it, hands the checked entries to the bus, and
 * writes AWS's answer. What a bus does with accepted entries is its `accept` function; if that throws (the
 * durable bus could not commit), the whole call fails with HTTP 500 `InternalException`, as AWS fails it, and
 * nothing was accepted.
 */
import { createServer, type Server } from 'node:http';
import { errorText } from '../../lib/errors.ts';
import { listen, readBody } from '../../lib/http-server.ts';
import {
  type CheckedEntry,
  type EntryResult,
  errorAnswer,
  jsonContentType,
  putEventsAnswer,
  putEventsLimits,
  putEventsTarget,
  readPutEvents,
} from './protocol.ts';

/** Decides the result of each checked entry; the results are in entry order. */
export type AcceptEntries = (entries: readonly CheckedEntry[]) => Promise<EntryResult[]>;

/** A listening endpoint. */
export interface PutEventsEndpoint {
  /** The endpoint to give the SDK, e.g. `http://127.0.0.1:4010`. */
  endpoint: string;
  close(): Promise<void>;
}

// One call's entries at most, and room for the JSON envelope and escaping around them.
const maxRequestBytes = 2 * putEventsLimits.maxBytes + 64 * 1024;

/**
 * Listens on `host:port` (port 0 picks a free one) and serves `PutEvents` with `accept`.
 *
 * @throws when the port cannot be bound (in use, say)
 */
export async function listenPutEvents(options: {
  host?: string;
  port?: number;
  accept: AcceptEntries;
  /** Told about each call that failed whole because `accept` threw. */
  onError?: (error: unknown) => void;
}): Promise<PutEventsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': jsonContentType });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.headers['x-amz-target'] !== putEventsTarget) {
      reply(
        400,
        errorAnswer({ type: 'UnknownOperationException', message: `only ${putEventsTarget} is served here` }),
      );
      return;
    }
    let body: string;
    try {
      body = await readBody(req, maxRequestBytes);
    } catch (error) {
      reply(413, errorAnswer({ type: 'RequestEntityTooLarge', message: errorText(error) }));
      return;
    }
    const read = readPutEvents(body);
    if (!read.ok) {
      reply(read.error.status, errorAnswer(read.error));
      return;
    }
    try {
      reply(200, putEventsAnswer(await options.accept(read.entries)));
    } catch (error) {
      options.onError?.(error);
      reply(500, errorAnswer({ type: 'InternalException', message: errorText(error) }));
    }
  });
  return listen(server, host, options.port ?? 0);
}
