import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStage, serviceName, sinkGroupId } from '../../lib/topology.ts';
import { defaultGroupId } from '../offline-kafka/options.ts';
import { InvokeError, invocationUrl, invokeFunction } from './offline.ts';

/** What the stand-in Invoke API received, and what it answers next. */
const received: Array<{ method: string | undefined; url: string | undefined; body: string }> = [];
let answer: { status: number; headers?: Record<string, string>; body: string } = { status: 200, body: '' };
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, body });
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('invocationUrl', () => {
  it("names the function as Lambda knows it on the local stage, on serverless-offline's Invoke API port", () => {
    expect(invocationUrl('fetch-users')).toBe(
      'http://127.0.0.1:3002/2015-03-31/functions/realtime-user-pipeline-local-fetch-users/invocations',
    );
  });
});

describe('invokeFunction', () => {
  it("posts the event to the function's invocations and returns what it returned", async () => {
    answer = { status: 200, body: '{"published":3}' };

    const result = await invokeFunction('publish-users', { sweep: true }, port);

    expect(result).toEqual({ published: 3 });
    expect(received.at(-1)).toEqual({
      method: 'POST',
      url: '/2015-03-31/functions/realtime-user-pipeline-local-publish-users/invocations',
      body: '{"sweep":true}',
    });
  });

  it('returns undefined when the function returned nothing', async () => {
    answer = { status: 200, body: '' };

    expect(await invokeFunction('fetch-users', {}, port)).toBeUndefined();
  });

  it('throws an InvokeError with what the function threw', async () => {
    answer = {
      status: 200,
      headers: { 'x-amz-function-error': 'Unhandled' },
      body: '{"errorMessage":"boom"}',
    };

    const act = invokeFunction('fetch-users', {}, port);

    await expect(act).rejects.toBeInstanceOf(InvokeError);
    await expect(act).rejects.toThrow('fetch-users failed: {"errorMessage":"boom"}');
  });

  it('throws an InvokeError when the API refuses the invocation', async () => {
    answer = { status: 404, body: 'no such function' };

    await expect(invokeFunction('ping', {}, port)).rejects.toThrow('ping failed: no such function');
  });
});

describe('sinkGroupId', () => {
  it("is the consumer group serverless.yml's local stage gives sink-users", () => {
    expect(sinkGroupId).toBe('realtime-user-pipeline-local-sink-users');
    expect(sinkGroupId).toBe(defaultGroupId(serviceName, localStage, 'sink-users'));
  });
});
