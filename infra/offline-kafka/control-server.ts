/**
 * The local event-source-mapping API: the part of Lambda's REST API that lists, reads and updates
 * event-source mappings, served on 127.0.0.1 for the mappings of `sls offline start`, so
 * `@aws-sdk/client-lambda` with its endpoint set here (and any credentials) works unchanged:
 *
 *   GET /2015-03-31/event-source-mappings/?FunctionName=&EventSourceArn=&Marker=&MaxItems=   ListEventSourceMappings
 *   GET /2015-03-31/event-source-mappings/{UUID}                                            GetEventSourceMapping
 *   PUT /2015-03-31/event-source-mappings/{UUID}   {"Enabled": false|true}                  UpdateEventSourceMapping
 *   GET /2015-03-31/event-source-mappings/{UUID}/local-stats   local only: what CloudWatch holds on AWS
 *
 * The requests are not signed-checked: like serverless-offline's own Lambda API, it trusts the local machine.
 * The operations' logic is in mapping.ts (pure) and control.ts; this file is the socket.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { errorText } from '../../lib/errors.ts';
import { listen, readBody } from '../../lib/http-server.ts';
import { MappingBusyError, type MappingController } from './control.ts';
import { type AwsErrorAnswer, awsError, listPage, parseListQuery, parseUpdate, routeOf } from './mapping.ts';

/** A listening control API. */
export interface ControlEndpoint {
  /** The endpoint to give the Lambda client, e.g. `http://127.0.0.1:3004`. */
  endpoint: string;
  close(): Promise<void>;
}

const maxBodyBytes = 256 * 1024;

/**
 * Serves the mappings on `host:port` (port 0 picks a free one).
 *
 * @param where - where each mapping's event is in serverless.yml, by UUID, for the messages of refused updates
 * @param log - told of every update, on one line
 * @throws when the port cannot be bound (in use, say)
 */
export async function listenControl(options: {
  mappings: readonly MappingController[];
  where: (uuid: string) => string;
  log: (line: string) => void;
  host?: string;
  port: number;
}): Promise<ControlEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const byUuid = new Map(options.mappings.map((m) => [m.uuid, m]));

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      reply(res, 500, { Type: 'Service', message: errorText(error) }, 'ServiceException');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const route = routeOf(req.method ?? 'GET', url.pathname);
    if (route.op === 'Unknown') {
      await drain(req);
      fail(
        res,
        awsError(
          'UnknownOperationException',
          `${req.method} ${url.pathname}: the local event-source-mapping API serves ListEventSourceMappings, GetEventSourceMapping and UpdateEventSourceMapping; mappings are created and deleted by the kafka/msk events of serverless.yml`,
        ),
      );
      return;
    }
    if (route.op === 'ListEventSourceMappings') {
      const query = parseListQuery(url.searchParams);
      if (isError(query)) return fail(res, query);
      const page = listPage(
        options.mappings.map((m) => m.configuration()),
        query,
      );
      if (isError(page)) return fail(res, page);
      return reply(res, 200, page);
    }
    const mapping = byUuid.get(route.uuid);
    if (mapping === undefined) {
      await drain(req);
      return fail(
        res,
        awsError(
          'ResourceNotFoundException',
          `The resource you requested does not exist. (Service: Lambda, UUID: ${route.uuid})`,
        ),
      );
    }
    switch (route.op) {
      case 'GetEventSourceMapping':
        return reply(res, 200, mapping.configuration());
      case 'LocalStats':
        return reply(res, 200, await mapping.localStats());
      case 'UpdateEventSourceMapping': {
        let body: string;
        try {
          body = await readBody(req, maxBodyBytes);
        } catch (error) {
          return fail(res, awsError('InvalidRequestContentException', errorText(error)));
        }
        const update = parseUpdate(body, mapping.configuration(), options.where(mapping.uuid));
        if (isError(update)) return fail(res, update);
        if (update.enabled === undefined) return reply(res, 202, mapping.configuration());
        const before = mapping.state;
        try {
          const configuration = mapping.setEnabled(update.enabled);
          options.log(
            `${mapping.source.functionKey}: UpdateEventSourceMapping ${mapping.uuid} Enabled=${update.enabled}: ${before} → ${configuration.State}`,
          );
          return reply(res, 202, configuration);
        } catch (error) {
          if (error instanceof MappingBusyError)
            return fail(res, awsError('ResourceInUseException', error.message));
          throw error;
        }
      }
    }
  }

  return listen(server, host, options.port);
}

function isError(value: object): value is AwsErrorAnswer {
  return 'status' in value && 'type' in value && 'body' in value;
}

function fail(res: ServerResponse, error: AwsErrorAnswer): void {
  reply(res, error.status, error.body, error.type);
}

function reply(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
  });
  res.end(JSON.stringify(body));
}

/** Reads and drops a body the answer does not need, so the connection can be kept alive. */
async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) {
    // nothing to keep
  }
}
