/**
 * The HTTP side of the local randomuser.me: the API routes, the fault and rate-limit hooks around them, and
 * the admin endpoints that tests use to steer faults and read counters:
 *
 *   GET  /__admin/faults   the current fault settings (see `Faults`)
 *   POST /__admin/faults   change some of them: a JSON `FaultsPatch`, e.g. {"failNext": 2, "latencyMs": 200}
 *                          or {"hostileNext": 1} (a user with a 200,000-character first name)
 *   POST /__admin/reset    back to the construction-time faults; counters, log and rate-limit windows cleared
 *   GET  /__admin/stats    requests, users served, responses by status, faults by kind, recent requests
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { describeIssues } from '../../lib/errors.ts';
import {
  applyFaultsPatch,
  decideFault,
  type FaultKind,
  type Faults,
  type FaultsPatch,
  faultsPatchSchema,
  hostileNameLength,
  NO_FAULTS,
  UserRateLimiter,
} from './faults.ts';
import { API_VERSION, generateUsers, type Info, type RandomUserResponse } from './generate.ts';
import { normalizeOptions, parseQuery } from './params.ts';

/** Paths that serve the API; upstream's unversioned `/api/` serves the latest version, which is 1.4 here. */
export const API_PATHS: ReadonlySet<string> = new Set(['/api/1.4/', '/api/1.4', '/api/', '/api']);

const optionsSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port. */
  port: z.int().min(0).max(65_535).default(0),
  /** Faults active from the start, and what `POST /__admin/reset` returns to. */
  faults: faultsPatchSchema.default({}),
  /**
   * The clock ages are computed against. Fixed for the server's life (default: when it was created) so that
   * a seed gives byte-identical responses even across midnight.
   */
  referenceTime: z.union([z.number(), z.string(), z.date()]).optional(),
  /** Random source of the fault rates (default Math.random). */
  random: z.custom<() => number>((v) => typeof v === 'function', 'expected a function').optional(),
  /** How many recent requests `stats().recent` keeps. */
  logSize: z.int().min(0).max(100_000).default(200),
});
export type RandomUserServerOptions = z.input<typeof optionsSchema>;

export interface RequestLogEntry {
  at: string;
  method: string;
  url: string;
  client: string;
  status: number;
  users: number;
  fault: FaultKind | 'rateLimited' | null;
  ms: number;
}

export interface RandomUserStats {
  /** API requests received (admin requests are not counted). */
  requests: number;
  /** Users delivered in complete 200 responses. */
  usersServed: number;
  byStatus: Record<string, number>;
  faults: Record<FaultKind | 'rateLimited' | 'delayed', number>;
  /** The last `logSize` API requests, oldest first. */
  recent: RequestLogEntry[];
}

export interface RandomUserServer {
  /** The node:http server, not yet listening. */
  server: Server;
  /** Applies a partial change to the faults (validated; throws on a bad value) and returns the result. */
  setFaults(patch: FaultsPatch): Faults;
  faults(): Faults;
  stats(): RandomUserStats;
  /** Back to the construction-time faults, with counters, log and rate-limit windows cleared. */
  reset(): void;
  close(): Promise<void>;
}

export interface RandomUserServerHandle extends Omit<RandomUserServer, 'server'> {
  /** API base URL, e.g. `http://127.0.0.1:3100/api/1.4/`. */
  url: string;
  /** Scheme, host and port, e.g. `http://127.0.0.1:3100` (the admin endpoints live under it). */
  origin: string;
  host: string;
  port: number;
  server: Server;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_ADMIN_BODY = 64 * 1024;

function emptyStats(): RandomUserStats {
  return {
    requests: 0,
    usersServed: 0,
    byStatus: {},
    faults: { error: 0, empty: 0, truncate: 0, malformed: 0, hostile: 0, rateLimited: 0, delayed: 0 },
    recent: [],
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': data.length, ...headers });
  res.end(data);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY) throw new Error(`body larger than ${MAX_ADMIN_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Builds the server without listening. Options are validated with zod (throws on a bad value); see
 * `startRandomUserServer` for the usual entry point.
 */
export function createRandomUserServer(options: RandomUserServerOptions = {}): RandomUserServer {
  const opts = optionsSchema.parse(options);
  const initialFaults = applyFaultsPatch(NO_FAULTS, opts.faults);
  const referenceTime =
    opts.referenceTime === undefined ? Date.now() : new Date(opts.referenceTime).getTime();
  if (Number.isNaN(referenceTime)) throw new Error(`invalid referenceTime: ${String(opts.referenceTime)}`);
  const random = opts.random ?? Math.random;
  const limiter = new UserRateLimiter();
  const closing = new AbortController();
  let faults = initialFaults;
  let stats = emptyStats();

  const setFaults = (patch: FaultsPatch): Faults => {
    const next = applyFaultsPatch(faults, patch);
    // New limits start from fresh windows: counts made under other limits would make tests order-dependent.
    if (patch.rateLimit !== undefined) limiter.clear();
    faults = next;
    return faults;
  };

  const log = (entry: Omit<RequestLogEntry, 'at'>): void => {
    stats.byStatus[entry.status] = (stats.byStatus[entry.status] ?? 0) + 1;
    if (entry.fault) stats.faults[entry.fault]++;
    if (opts.logSize === 0) return;
    stats.recent.push({ at: new Date().toISOString(), ...entry });
    if (stats.recent.length > opts.logSize) stats.recent.shift();
  };

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = performance.now();
    const client = req.socket.remoteAddress ?? 'unknown';
    const done = (status: number, users: number, fault: RequestLogEntry['fault']) =>
      log({
        method: req.method ?? 'GET',
        url: url.pathname + url.search,
        client,
        status,
        users,
        fault,
        ms: Math.round(performance.now() - started),
      });
    stats.requests++;

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: `method ${req.method} not allowed; use GET` }, { allow: 'GET, HEAD' });
      return done(405, 0, null);
    }
    const parsed = parseQuery(url.searchParams);
    if (!parsed.ok) {
      sendJson(res, 400, { error: parsed.error });
      return done(400, 0, null);
    }
    if (faults.latencyMs > 0) {
      stats.faults.delayed++;
      try {
        await sleep(faults.latencyMs, undefined, { signal: closing.signal });
      } catch {
        return; // The server is closing and has dropped the connection.
      }
    }
    const limit = faults.rateLimit;
    const normalized = normalizeOptions({ ...parsed.options, now: referenceTime });
    if (limit) {
      const verdict = limiter.check(client, limit, Date.now());
      if (verdict.limited) {
        const retryAfter = faults.retryAfterSeconds ?? verdict.retryAfterSeconds;
        sendJson(
          res,
          429,
          {
            error:
              `Rate limit exceeded: at most ${limit.users} users per ${limit.windowMs / 1000} s per client; ` +
              `retry in ${retryAfter} s`,
          },
          { 'retry-after': String(retryAfter) },
        );
        return done(429, 0, 'rateLimited');
      }
    }
    const decision = decideFault(faults, random);
    faults = decision.faults;
    const fault = decision.fault;
    if (fault?.kind === 'error') {
      sendJson(res, fault.status, {
        error: `Injected fault: the local randomuser server answered ${fault.status}`,
      });
      return done(fault.status, 0, 'error');
    }

    let response: RandomUserResponse;
    if (fault?.kind === 'empty') {
      // Only the results go missing; info still echoes the request, as in upstream's outages.
      const info: Info = {
        seed: normalized.seed,
        results: normalized.results,
        page: normalized.page,
        version: API_VERSION,
      };
      response = normalized.noinfo ? { results: [] } : { results: [], info };
    } else {
      response = generateUsers({ ...parsed.options, seed: normalized.seed, now: referenceTime });
      const [first] = response.results;
      // Only when the request asked for names (`inc`/`exc`); the other users of the page are as generated.
      if (fault?.kind === 'hostile' && first?.name) {
        first.name = { ...first.name, first: 'A'.repeat(hostileNameLength) };
      }
    }
    const body = Buffer.from(parsed.pretty ? JSON.stringify(response, null, 2) : JSON.stringify(response));
    const headers = { 'content-type': JSON_TYPE, 'access-control-allow-origin': '*' };
    const cut = Math.max(1, Math.floor(body.length / 2));

    if (fault?.kind === 'truncate') {
      res.writeHead(200, { ...headers, 'content-length': body.length });
      // Destroy only once the first half has reached the socket, so the client sees headers and a partial body.
      res.write(body.subarray(0, cut), () => res.destroy());
      return done(200, 0, 'truncate');
    }
    if (fault?.kind === 'malformed') {
      // Any proper prefix of a JSON object is invalid JSON; the HTTP message itself is complete.
      const broken = body.subarray(0, cut);
      res.writeHead(200, { ...headers, 'content-length': broken.length });
      res.end(broken);
      return done(200, 0, 'malformed');
    }
    const users = response.results.length;
    if (limit) limiter.record(client, users, limit, Date.now());
    stats.usersServed += users;
    res.writeHead(200, { ...headers, 'content-length': body.length });
    res.end(body);
    return done(200, users, fault?.kind ?? null);
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const route = `${req.method} ${path.replace(/\/$/, '')}`;
    switch (route) {
      case 'GET /__admin/faults':
        return sendJson(res, 200, faults);
      case 'POST /__admin/faults': {
        let patch: unknown;
        try {
          const text = await readBody(req);
          patch = text.trim() === '' ? {} : JSON.parse(text);
        } catch (err) {
          return sendJson(res, 400, { error: `invalid JSON body: ${(err as Error).message}` });
        }
        const checked = faultsPatchSchema.safeParse(patch);
        if (!checked.success) {
          return sendJson(res, 400, { error: `invalid faults: ${describeIssues(checked.error)}` });
        }
        return sendJson(res, 200, setFaults(checked.data));
      }
      case 'POST /__admin/reset':
        reset();
        return sendJson(res, 200, faults);
      case 'GET /__admin/stats':
        return sendJson(res, 200, stats);
      default:
        return sendJson(res, 404, {
          error: `no admin route ${route}; use GET|POST /__admin/faults, POST /__admin/reset, GET /__admin/stats`,
        });
    }
  }

  const reset = (): void => {
    faults = initialFaults;
    stats = emptyStats();
    limiter.clear();
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/__admin/')) return handleAdmin(req, res, url.pathname);
    if (API_PATHS.has(url.pathname)) return handleApi(req, res, url);
    sendJson(res, 404, { error: `no such endpoint: ${url.pathname}; the API is at /api/1.4/` });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: `internal error: ${(err as Error).message}` });
    });
  });

  return {
    server,
    setFaults: (patch) => structuredClone(setFaults(patch)),
    faults: () => structuredClone(faults),
    stats: () => structuredClone(stats),
    reset,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Starts the server and resolves once it listens. `port: 0` (the default) picks a free port; `url` is the
 * API base to use as `RANDOMUSER_URL`.
 */
export async function startRandomUserServer(
  options: RandomUserServerOptions = {},
): Promise<RandomUserServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const instance = createRandomUserServer(options);
  const { server } = instance;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard address is not something to connect to; loopback reaches the same socket.
  const connectHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const origin = `http://${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
  return { ...instance, url: `${origin}/api/1.4/`, origin, host, port };
}
