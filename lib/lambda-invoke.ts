/**
 * One synchronous invocation through a Lambda Invoke API (serverless-offline's, under `sls offline start`), as
 * the local event sources make it: the local Kafka event source (infra/offline-kafka) and the local EventBridge
 * (infra/eventbus). It never throws: every way an invocation can end is an {@link InvokeOutcome}, so each
 * caller applies its own retry policy to it.
 */
import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { errorText } from './errors.ts';

/** Why an invocation failed, as far as the caller can tell. */
export type InvokeFailure =
  /** The function ran and threw, timed out inside the runtime, or returned an error. */
  | 'function'
  /** The Invoke API answered an HTTP error (404: no such function). */
  | 'http'
  /** Nothing answered at the endpoint. */
  | 'unreachable'
  /** No answer within the caller's time limit. */
  | 'timeout';

/** The outcome of one invocation, as seen on the wire. */
export type InvokeOutcome =
  | { ok: true; payload: unknown }
  | { ok: false; errorType: string; errorMessage: string; statusCode?: number; failure?: InvokeFailure };

/** What to invoke, and where. */
export interface InvokeRequest {
  /** Base URL of the Invoke API, e.g. `http://127.0.0.1:3002`. */
  endpoint: string;
  /** The deployed function name, e.g. `realtime-user-pipeline-local-store-users`. */
  functionName: string;
  event: unknown;
  /** Gives up after this long (a `timeout` failure); unset, waits for the answer. */
  timeoutMs?: number;
}

/**
 * Keep-alive connections to the Invoke API, one pool per scheme. node:http rather than `fetch`: the local event
 * sources make hundreds of invocations a second in serverless-offline's main thread, where undici's `fetch`
 * (WHATWG streams, a Request and a Response object per call) cost about 0.5 to 1 ms more CPU per call than a
 * plain request (a 60 KB event against a local server, in process). The agent closes an idle socket before
 * the server's announced keep-alive timeout, so a reused socket is not one the server is closing.
 */
const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };

/** An answer as read off the wire. */
interface WireResponse {
  status: number;
  header(name: string): string | undefined;
  text: string;
}

/** Invokes a function with `RequestResponse` and reports how it went. */
export async function invokeLambda(request: InvokeRequest): Promise<InvokeOutcome> {
  const url = `${request.endpoint}/2015-03-31/functions/${encodeURIComponent(request.functionName)}/invocations`;
  const signal = request.timeoutMs === undefined ? undefined : AbortSignal.timeout(request.timeoutMs);
  let response: WireResponse;
  try {
    response = await post(new URL(url), JSON.stringify(request.event), signal);
  } catch (error) {
    if (signal?.aborted) {
      return {
        ok: false,
        failure: 'timeout',
        errorType: 'TimeoutError',
        errorMessage: `no answer from ${url} within ${request.timeoutMs} ms`,
      };
    }
    return {
      ok: false,
      failure: 'unreachable',
      errorType: 'ServiceUnavailable',
      errorMessage: `cannot reach ${url}: ${errorText(error)}`,
    };
  }
  const { text } = response;
  const payload = parseJson(text);
  if (response.status !== 200) {
    return {
      ok: false,
      failure: 'http',
      statusCode: response.status,
      errorType: response.header('x-amzn-errortype') ?? `HTTP${response.status}`,
      errorMessage: text.slice(0, 1000),
    };
  }
  if (response.header('x-amz-function-error')) {
    const field = (name: string): string | undefined => {
      if (typeof payload !== 'object' || payload === null || !(name in payload)) return undefined;
      const value: unknown = Reflect.get(payload, name);
      return typeof value === 'string' ? value : undefined;
    };
    return {
      ok: false,
      failure: 'function',
      errorType: field('errorType') ?? 'Unhandled',
      errorMessage: field('errorMessage') ?? text.slice(0, 1000),
    };
  }
  return { ok: true, payload };
}

/** POSTs `body` as JSON and reads the whole answer; rejects when the connection fails or `signal` aborts. */
function post(url: URL, body: string, signal: AbortSignal | undefined): Promise<WireResponse> {
  const [send, agent] =
    url.protocol === 'https:' ? [httpsRequest, agents['https:']] : [httpRequest, agents['http:']];
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-amz-invocation-type': 'RequestResponse',
          'x-amzn-requestid': randomUUID(),
        },
        ...(signal === undefined ? {} : { signal }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        // A connection cut or aborted mid-answer closes the stream without a complete answer.
        res.on('close', () => {
          if (!res.complete) reject(new Error('the connection closed before the answer was complete'));
        });
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            header: (name) => {
              const value = res.headers[name];
              return Array.isArray(value) ? value.join(', ') : value;
            },
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
