/**
 * serverless-offline as `npm start` and the benchmarks drive it: invoking a function through its Lambda Invoke
 * API (the function names and port come from lib/topology.ts) and stopping the process group it runs in. The
 * consumer group its Kafka event source gives sink-users is lib/topology.ts's `sinkGroupId`.
 */
import type { ChildProcess } from 'node:child_process';
import { PipelineError } from '../../lib/errors.ts';
import { type FunctionName, lambdaName, ports } from '../../lib/topology.ts';

/** A function invoked through the Invoke API failed, or the API refused the invocation. */
export class InvokeError extends PipelineError {
  constructor(
    readonly functionName: FunctionName,
    detail: string,
  ) {
    super(`${functionName} failed: ${detail}`, { code: 'INVOKE_FAILED', retryable: false });
  }
}

/** The Invoke API's URL of a function of the local stage. */
export function invocationUrl(fn: FunctionName, port: number = ports.offlineLambda): string {
  return `http://127.0.0.1:${port}/2015-03-31/functions/${lambdaName(fn)}/invocations`;
}

/**
 * Invokes `fn` of the running `sls offline start` with `event`, as Lambda's Invoke API does (request-response),
 * and returns what it returned (undefined when it returned nothing).
 *
 * @throws InvokeError when the function threw (the API's `X-Amz-Function-Error`) or the API answered an error
 */
export async function invokeFunction(
  fn: FunctionName,
  event: unknown,
  port: number = ports.offlineLambda,
): Promise<unknown> {
  const res = await fetch(invocationUrl(fn, port), { method: 'POST', body: JSON.stringify(event) });
  const text = await res.text();
  if (!res.ok || res.headers.get('x-amz-function-error')) throw new InvokeError(fn, text);
  return text === '' ? undefined : JSON.parse(text);
}

/** Sends `signal` to the process group `child` leads (started `detached`); a group already gone is fine. */
export function signalGroup(child: Pick<ChildProcess, 'pid'>, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}
