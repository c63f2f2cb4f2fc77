import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type ListeningServer, listen, readBody } from './http-server.ts';
import { invokeLambda } from './lambda-invoke.ts';

/** A real HTTP server on a free port, standing in for serverless-offline's Invoke API. */
async function invokeApi(answer: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const connections: unknown[] = [];
  const server = createServer((req, res) => {
    void readBody(req, 1 << 20).then((body) => answer(req, body, res));
  });
  server.on('connection', (socket) => connections.push(socket));
  const listening = await listen(server, '127.0.0.1', 0);
  servers.push(listening);
  return { endpoint: listening.endpoint, connections };
}

const servers: ListeningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const functionName = 'realtime-user-pipeline-local-sink-users';

describe('invokeLambda', () => {
  it('POSTs the event as JSON to the Invoke API path with RequestResponse, and returns the payload', async () => {
    const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> =
      [];
    const api = await invokeApi((req, body, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ written: 2, name: 'Zoë' }));
    });
    const event = { records: { 'users_created-0': [{ offset: 7, value: 'eyJ9' }] }, note: 'ünïcode' };

    const outcome = await invokeLambda({ endpoint: api.endpoint, functionName, event });

    expect(outcome).toEqual({ ok: true, payload: { written: 2, name: 'Zoë' } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: `/2015-03-31/functions/${functionName}/invocations`,
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
    });
    expect(seen[0]?.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(event);
  });

  it('keeps the connection open for the next invocation', async () => {
    const api = await invokeApi((_req, _body, res) => res.writeHead(200).end('{}'));

    for (let i = 0; i < 3; i++) {
      expect(await invokeLambda({ endpoint: api.endpoint, functionName, event: { i } })).toEqual({
        ok: true,
        payload: {},
      });
    }

    expect(api.connections).toHaveLength(1);
  });

  it('reads an empty answer as no payload, and one that is not JSON as its text', async () => {
    const answers = ['', 'not json'];
    const api = await invokeApi((_req, _body, res) => res.writeHead(200).end(answers.shift()));

    expect(await invokeLambda({ endpoint: api.endpoint, functionName, event: {} })).toEqual({
      ok: true,
      payload: undefined,
    });
    expect(await invokeLambda({ endpoint: api.endpoint, functionName, event: {} })).toEqual({
      ok: true,
      payload: 'not json',
    });
  });

  it("reports the function's error from X-Amz-Function-Error and the payload's type and message", async () => {
    const api = await invokeApi((_req, _body, res) =>
      res
        .writeHead(200, { 'X-Amz-Function-Error': 'Unhandled' })
        .end(JSON.stringify({ errorType: 'TransientError', errorMessage: 'cassandra down' })),
    );

    expect(await invokeLambda({ endpoint: api.endpoint, functionName, event: {} })).toEqual({
      ok: false,
      failure: 'function',
      errorType: 'TransientError',
      errorMessage: 'cassandra down',
    });
  });

  it("reports an HTTP error with its status and the API's error type", async () => {
    const api = await invokeApi((_req, _body, res) =>
      res
        .writeHead(404, { 'x-amzn-ErrorType': 'ResourceNotFoundException' })
        .end(JSON.stringify({ Message: 'Function not found' })),
    );

    expect(await invokeLambda({ endpoint: api.endpoint, functionName: 'nope', event: {} })).toEqual({
      ok: false,
      failure: 'http',
      statusCode: 404,
      errorType: 'ResourceNotFoundException',
      errorMessage: '{"Message":"Function not found"}',
    });
  });

  it('reports an endpoint where nothing listens as unreachable, naming the URL', async () => {
    const api = await invokeApi(() => {});
    const { endpoint } = api;
    await servers.splice(0)[0]?.close();

    const outcome = await invokeLambda({ endpoint, functionName, event: {} });

    expect(outcome).toMatchObject({ ok: false, failure: 'unreachable', errorType: 'ServiceUnavailable' });
    expect(outcome.ok ? '' : outcome.errorMessage).toContain(
      `cannot reach ${endpoint}/2015-03-31/functions/`,
    );
  });

  it('reports no answer within the time limit as a timeout', async () => {
    const api = await invokeApi(() => {}); // reads the request and never answers

    const outcome = await invokeLambda({ endpoint: api.endpoint, functionName, event: {}, timeoutMs: 150 });

    expect(outcome).toMatchObject({ ok: false, failure: 'timeout', errorType: 'TimeoutError' });
    expect(outcome.ok ? '' : outcome.errorMessage).toContain('within 150 ms');
  });

  it('takes an answer cut off mid-body as unreachable, never as a shorter payload', async () => {
    const api = await invokeApi((_req, _body, res) => {
      res.writeHead(200, { 'content-length': '100' });
      // Cut once the first part is on the wire, so the client has the head and part of the body.
      res.write('{"written":', () => res.socket?.destroy());
    });

    const outcome = await invokeLambda({ endpoint: api.endpoint, functionName, event: {} });

    expect(outcome).toMatchObject({ ok: false, failure: 'unreachable' });
  });
});
