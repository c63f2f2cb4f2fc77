/**
 * infra/console is the pipeline console: a web page, served on 127.0.0.1 by `npm start` and by `npm run
 * console`, that shows every stage of the pipeline live and lets a developer replay the topic, pause the
 * event source and re-drive dead letters without a CLI. This file is its server: fastify, the routes of the
 * contract in api.ts, the per-start token on every action, and `startConsole`, which wires the live feed,
 * the latency sampler, the metrics and the page's bundle over one set of sources (sources.ts). Each route is
 * an adapter over a module of its own (kafka-view, messages, users, dead-letters, event-sources, schemas); the
 * readings are counts.ts's, shared with the `npm start` summary line.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Admin } from 'kafkajs';
import { z } from 'zod';
import { describeIssues, errorText } from '../../lib/errors.ts';
import type { StackConfig } from '../local/config.ts';
import { type ApiError, type LiveSnapshot, tokenFragment, tokenHeader } from './api.ts';
import { buildPage, type PageAssets } from './bundle.ts';
import { type PacedSummary, pacedSummary } from './counts.ts';
import { busDeadLetters, deadLetterPage, redriveBusDeadLetters, redriveDeadLetters } from './dead-letters.ts';
import { maskText } from './decode.ts';
import { badRequest, ConsoleError } from './errors.ts';
import { kafkaUnavailable, kafkaView, resetGroup } from './kafka-view.ts';
import { startLatencySampler } from './latency-sampler.ts';
import { countTimes, type LiveFeed, stageCounts, startLiveFeed } from './live.ts';
import { ErrorBook, parseErrorLine } from './log-errors.ts';
import { maxPageSize, messagePage } from './messages.ts';
import { createMetrics } from './metrics.ts';
import { compareSubjectVersions, registryView, subjectView, versionOf } from './schemas.ts';
import { type ConsoleSources, localSources } from './sources.ts';
import { newToken, tokenMatches } from './token.ts';
import { traceUser } from './users.ts';

/** What {@link startConsole} takes. */
export interface ConsoleOptions {
  /** The stack's settings (loadStackConfig): the port, and the sources unless `sources` is given. */
  cfg: StackConfig;
  /** The systems to read; default: the local stack's, for the run `cfg` names. Closed by the caller if given. */
  sources?: ConsoleSources;
  /** The port on 127.0.0.1; default `cfg.console.port` (CONSOLE_PORT). 0 picks a free one. */
  port?: number;
  /**
   * Subscribes to serverless-offline's output, one line at a time (`npm start` relays it): the functions'
   * errors come from there. Without it the errors stay empty and the page says why.
   */
  lines?: (listener: (line: string) => void) => void;
  /** Users fetched so far, as `npm start` counts them from the same lines; without it, unknown. */
  fetched?: () => number;
  /** Where the action lines go (`[console] action ...`); default console.log. */
  log?: (line: string) => void;
  /** Milliseconds between live readings (1000). */
  intervalMs?: number;
  now?: () => Date;
}

/** A running console. */
export interface RunningConsole {
  /** The page's URL with the token in its fragment: `http://127.0.0.1:3300/#token=...`. */
  url: string;
  /**
   * The stages' counts as the live feed reads them (paced, counts.ts): `npm start`'s summary line prints from
   * it, so the tables are not scanned twice.
   */
  summary: () => Promise<PacedSummary>;
  close(): Promise<void>;
}

const limit = z.coerce.number().int().min(1).max(maxPageSize).default(50);
const partition = z.coerce.number().int().min(0);
const messagesQuery = z.object({
  topic: z.string().min(1),
  partition,
  offset: z.string().optional(),
  timestamp: z.string().optional(),
  limit,
});
const deadLettersQuery = z.object({ partition: partition.default(0), offset: z.string().optional(), limit });
const resetBody = z.discriminatedUnion('to', [
  z.object({ topic: z.string().min(1), to: z.enum(['earliest', 'latest']) }),
  z.object({
    topic: z.string().min(1),
    to: z.literal('timestamp'),
    timestamp: z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'an ISO 8601 time'),
  }),
]);
const redriveBody = z.object({
  offsets: z.union([z.literal('all'), z.array(z.string()).min(1)]),
  corrections: z.record(z.string(), z.string()).optional(),
  partition: partition.optional(),
});
const busRedriveBody = z.object({ ids: z.union([z.literal('all'), z.array(z.string()).min(1)]) });
const toggleBody = z.object({ enabled: z.boolean() });
const schemaVersion = z.coerce.number().int().min(1);
const subjectParams = z.object({ subject: z.string().min(1) });
const versionParams = subjectParams.extend({ version: schemaVersion });
const compareQuery = z.object({ from: schemaVersion, to: schemaVersion });

/** Parses `value` with `schema`, or answers 400 naming what is wrong. */
function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(`invalid ${what}: ${describeIssues(parsed.error)}`, parsed.error);
  return parsed.data;
}

/** The error body and status for anything a route threw. */
export function errorReply(error: unknown): { status: number; body: ApiError } {
  if (error instanceof ConsoleError) {
    return { status: error.status, body: { error: { code: error.code, message: maskText(error.message) } } };
  }
  // fastify's own: a body that is not JSON, a payload too large, an unsupported media type.
  if (
    error instanceof Error &&
    'statusCode' in error &&
    typeof error.statusCode === 'number' &&
    error.statusCode < 500
  ) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : 'BAD_REQUEST';
    return { status: error.statusCode, body: { error: { code, message: error.message } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: maskText(errorText(error)) } } };
}

/** What the routes need besides the sources. */
interface RouteDeps {
  sources: ConsoleSources;
  feed: LiveFeed;
  metrics: ReturnType<typeof createMetrics>;
  page: PageAssets;
  token: string;
  port: () => number;
  log: (line: string) => void;
  now: () => Date;
}

/** The fastify app with every route of api.ts; not listening yet. */
export function createApp(deps: RouteDeps): { app: FastifyInstance; endStreams(): void } {
  const { sources, token, log } = deps;
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  const streams = new Set<NodeJS.WritableStream & { end(): void }>();
  const admin = async (): Promise<Admin> => {
    try {
      return await sources.admin();
    } catch (error) {
      throw kafkaUnavailable(error);
    }
  };

  // Only requests addressed to this console: a page elsewhere that rebinds its own name to 127.0.0.1 cannot
  // read the pipeline through the browser.
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host ?? '';
    const allowed = [`127.0.0.1:${deps.port()}`, `localhost:${deps.port()}`];
    if (!allowed.includes(host)) {
      return reply.code(403).send({
        error: { code: 'HOST_REFUSED', message: `the console answers on ${allowed.join(' or ')} only` },
      });
    }
    if (
      request.method !== 'GET' &&
      request.method !== 'HEAD' &&
      !tokenMatches(token, request.headers[tokenHeader])
    ) {
      log(`[console] action refused: ${request.method} ${request.url} without the start's token`);
      return reply.code(401).send({
        error: {
          code: 'TOKEN_REQUIRED',
          message: `This action needs the console's token in the ${tokenHeader} header: open the URL that npm start (or npm run console) printed, which carries it.`,
        },
      });
    }
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });
  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = errorReply(error);
    void reply.code(status).send(body);
  });

  /** Runs an action, and logs it on one line with its outcome. */
  const action = async <T>(
    what: string,
    work: () => Promise<T>,
    outcome: (result: T) => string,
  ): Promise<T> => {
    try {
      const result = await work();
      log(`[console] action ${what}: ${outcome(result)}`);
      return result;
    } catch (error) {
      log(`[console] action ${what}: failed: ${maskText(errorText(error))}`);
      throw error;
    }
  };

  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
      )
      .send(deps.page.html),
  );
  app.get('/app.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(deps.page.js),
  );
  app.get('/app.css', async (_request, reply) => reply.type('text/css; charset=utf-8').send(deps.page.css));

  app.get('/api/live', (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 2000\n\n');
    const send = (snapshot: LiveSnapshot) => {
      res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    };
    streams.add(res);
    const unsubscribe = deps.feed.subscribe(send);
    request.raw.on('close', () => {
      unsubscribe();
      streams.delete(res);
    });
  });

  app.get('/api/kafka', async () => kafkaView(await admin(), sources));

  app.post('/api/kafka/groups/:group/reset', async (request) => {
    const { group } = parse(z.object({ group: z.string().min(1) }), request.params, 'group');
    const body = parse(resetBody, request.body, 'reset');
    const to = body.to === 'timestamp' ? `timestamp ${body.timestamp}` : body.to;
    return action(
      `reset group ${group} on ${body.topic} to ${to}`,
      async () => resetGroup(await admin(), group, body),
      (r) => r.partitions.map((p) => `p${p.partition}@${p.offset}`).join(' '),
    );
  });

  app.get('/api/messages', async (request) => {
    const q = parse(messagesQuery, request.query, 'query');
    if (q.offset !== undefined && q.timestamp !== undefined)
      throw badRequest('give offset or timestamp, not both');
    return messagePage(sources.kafka, await admin(), q, sources.schemaVersionOf);
  });

  app.get('/api/users/:id', async (request) => {
    const { id } = parse(z.object({ id: z.string() }), request.params, 'user id');
    return traceUser(
      {
        pg: sources.pg,
        cql: sources.cql,
        kafka: sources.kafka,
        admin: await admin(),
        topic: sources.names.topic,
        keyspace: sources.names.keyspace,
      },
      id,
    );
  });

  app.get('/api/dead-letters', async (request) => {
    const q = parse(deadLettersQuery, request.query, 'query');
    return deadLetterPage(
      sources.kafka,
      await admin(),
      { topic: sources.names.deadLetterTopic, ...q },
      sources.schemaVersionOf,
    );
  });

  app.post('/api/dead-letters/redrive', async (request) => {
    const body = parse(redriveBody, request.body, 'redrive');
    const corrections = body.corrections ?? {};
    const dlq = `${sources.names.deadLetterTopic}-${body.partition ?? 0}`;
    const which = body.offsets === 'all' ? 'all' : body.offsets.map((o) => `@${o}`).join(' ');
    const corrected = Object.keys(corrections).length;
    return action(
      `redrive ${dlq} ${which}${corrected > 0 ? ` (${corrected} corrected)` : ''}`,
      async () =>
        redriveDeadLetters(
          { kafka: sources.kafka, admin: await admin(), producer: await sources.producer(), now: deps.now() },
          {
            deadLetterTopic: sources.names.deadLetterTopic,
            partition: body.partition ?? 0,
            offsets: body.offsets,
            corrections,
            fallbackTopic: sources.names.topic,
          },
        ),
      (r) =>
        `${r.redriven} re-driven${r.targets.length > 0 ? ` to ${[...new Set(r.targets.map((t) => t.topic))].join(', ')}` : ''}`,
    );
  });

  app.get('/api/bus/dead-letters', async () => busDeadLetters(sources.bus));

  app.post('/api/bus/dead-letters/redrive', async (request) => {
    const body = parse(busRedriveBody, request.body, 'redrive');
    return action(
      `redrive bus dead letters ${body.ids === 'all' ? 'all' : body.ids.join(' ')}`,
      () => redriveBusDeadLetters(sources.bus, body.ids, deps.now()),
      (r) => `${r.redriven} back to pending`,
    );
  });

  app.get('/api/event-sources', async () => sources.eventSources.list());

  app.post('/api/event-sources/:uuid', async (request) => {
    const { uuid } = parse(z.object({ uuid: z.string().min(1) }), request.params, 'mapping');
    const body = parse(toggleBody, request.body, 'toggle');
    return action(
      `${body.enabled ? 'enable' : 'disable'} event source ${uuid}`,
      () => sources.eventSources.setEnabled(uuid, body.enabled),
      (v) => `${v.functionName} on ${v.topic}: ${v.state}`,
    );
  });

  app.get('/api/stack', async () => sources.stack());

  app.get('/api/schemas', async () => registryView(sources.registry));

  app.get('/api/schemas/subjects/:subject', async (request) => {
    const { subject } = parse(subjectParams, request.params, 'subject');
    return subjectView(sources.registry, subject);
  });

  app.get('/api/schemas/subjects/:subject/versions/:version', async (request) => {
    const { subject, version } = parse(versionParams, request.params, 'version');
    return versionOf(sources.registry, subject, version);
  });

  app.get('/api/schemas/subjects/:subject/compare', async (request) => {
    const { subject } = parse(subjectParams, request.params, 'subject');
    const { from, to } = parse(compareQuery, request.query, 'comparison');
    return compareSubjectVersions(sources.registry, subject, from, to);
  });

  app.get('/metrics', async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );

  return {
    app,
    endStreams() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}

/**
 * Starts the console on 127.0.0.1: builds the page, starts the live feed and the latency sampler over the
 * sources, and listens.
 *
 * @throws ConsoleError `CONSOLE_PORT_IN_USE` when the port is taken, `PAGE_BUILD_FAILED` when the page does
 *   not build; nothing is left running then
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { cfg } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? ((line: string) => console.log(line));
  const page = await buildPage();
  const owned = options.sources === undefined;
  const sources = options.sources ?? localSources(cfg);
  const { names } = sources;
  const metrics = createMetrics(
    { topic: names.topic, keyspace: names.keyspace, database: names.database },
    () => sources.eventSources.list(),
  );
  const book = new ErrorBook();
  options.lines?.((line) => {
    const error = parseErrorLine(line);
    if (!error) return;
    book.add(error);
    metrics.countError(error);
  });
  const sampler = startLatencySampler({
    kafka: sources.kafka,
    pg: sources.pg,
    cql: sources.cql,
    topic: names.topic,
    keyspace: names.keyspace,
    committed: async () => {
      const [offsets] = await (await sources.admin()).fetchOffsets({
        groupId: names.groupId,
        topics: [names.topic],
      });
      return new Map(offsets?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
    },
    now,
    observe: (ms) => metrics.observeLatency(ms),
  });
  // Each stage is read on its own and left out when it fails; an admin that cannot connect fails its reads
  // the same way, and is tried again on the next.
  const readSummary = pacedSummary({
    pg: sources.pg,
    bus: sources.bus,
    admin: {
      fetchTopicOffsets: async (topic) => (await sources.admin()).fetchTopicOffsets(topic),
      fetchOffsets: async (request) => (await sources.admin()).fetchOffsets(request),
    },
    cql: sources.cql,
    topic: names.topic,
    deadLetterTopic: names.deadLetterTopic,
    groupId: names.groupId,
    keyspace: names.keyspace,
    fetched: options.fetched ?? (() => Number.NaN),
  });
  const feed = startLiveFeed({
    read: async () => {
      const [summary] = await Promise.all([readSummary(), sampler.sample().catch(() => undefined)]);
      const counts = stageCounts(summary);
      const fetchedAt = counts.fetched === null ? undefined : now().getTime();
      return { counts, times: countTimes(summary.readAt, fetchedAt) };
    },
    latency: () => sampler.current(),
    errors: () => book.list(),
    functionLogs: options.lines !== undefined,
    now,
    onSnapshot: (snapshot) => metrics.update(snapshot),
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
  });
  void feed.tick().catch(() => undefined);

  const token = newToken();
  let port = options.port ?? cfg.console.port;
  const { app, endStreams } = createApp({ sources, feed, metrics, page, token, port: () => port, log, now });
  const stop = async () => {
    feed.stop();
    endStreams();
    await app.close();
    await sampler.stop();
    if (owned) await sources.close();
  };
  try {
    await app.listen({ host: '127.0.0.1', port });
  } catch (error) {
    await stop();
    const inUse = error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
    throw new ConsoleError(
      inUse
        ? `the console's port ${port} on 127.0.0.1 is in use: set CONSOLE_PORT to a free port`
        : `the console cannot listen on 127.0.0.1:${port}: ${errorText(error)}`,
      500,
      { code: inUse ? 'CONSOLE_PORT_IN_USE' : 'CONSOLE_LISTEN_FAILED', cause: error },
    );
  }
  const address = app.server.address();
  if (address !== null && typeof address === 'object') port = address.port;
  return { url: `http://127.0.0.1:${port}/#${tokenFragment}=${token}`, summary: readSummary, close: stop };
}
