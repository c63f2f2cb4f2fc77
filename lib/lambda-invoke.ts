/**
 * One synchronous invocation through a Lambda Invoke API (serverless-offline's, under `sls offline start`), as
 * the local event sources make it: the local Kafka event source (infra/offline-kafka) and the local EventBridge
 * (infra/eventbus). It never throws: every way an invocation can end is an {@link InvokeOutcome}, so each
 * caller applies its own retry policy to it.
 */
import { randomUUID } from 'node:crypto';
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

/** Invokes a function with `RequestResponse` and reports how it went. */
export async function invokeLambda(request: InvokeRequest): Promise<InvokeOutcome> {
  const url = `${request.endpoint}/2015-03-31/functions/${encodeURIComponent(request.functionName)}/invocations`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amz-invocation-type': 'RequestResponse',
        'x-amzn-requestid': randomUUID(),
      },
      body: JSON.stringify(request.event),
      ...(request.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(request.timeoutMs) }),
    });
    text = await response.text();
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError') {
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
  const payload = parseJson(text);
  if (response.status !== 200) {
    return {
      ok: false,
      failure: 'http',
      statusCode: response.status,
      errorType: response.headers.get('x-amzn-errortype') ?? `HTTP${response.status}`,
      errorMessage: text.slice(0, 1000),
    };
  }
  if (response.headers.get('x-amz-function-error')) {
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

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
