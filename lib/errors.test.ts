import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, errorText, isNetworkError, PipelineError } from './errors.ts';

class ExampleError extends PipelineError {}

describe('PipelineError', () => {
  it('carries code, retryable and cause, and takes the subclass name', () => {
    const cause = new Error('socket closed');

    const error = new ExampleError('could not write', { code: 'EXAMPLE', retryable: true, cause });

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ExampleError');
    expect(error.code).toBe('EXAMPLE');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
  });

  it('has no cause property when none is given', () => {
    const error = new PipelineError('no cause', { code: 'X', retryable: false });

    expect('cause' in error).toBe(false);
  });
});

describe('errorText', () => {
  it('gives an error message, adding a system error code the message does not name', () => {
    const refused = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
    const named = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

    expect(errorText(refused)).toBe('connect failed (ECONNREFUSED)');
    expect(errorText(named)).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });

  it("leaves a typed error's code to its own field", () => {
    expect(errorText(new PipelineError('broker down', { code: 'TRANSIENT', retryable: true }))).toBe(
      'broker down',
    );
  });

  it('names each distinct part of an AggregateError once', () => {
    const part = Object.assign(new Error(''), { code: 'ECONNREFUSED' });
    const error = new AggregateError([part, part, new Error('timeout')], '');

    expect(errorText(error)).toBe('Error (ECONNREFUSED); timeout');
  });

  it("names each host of a driver's no-host error", () => {
    const error = Object.assign(new Error('All host(s) tried for query failed ... long inspect() ...'), {
      innerErrors: { '127.0.0.1:9042': new Error('connect ECONNREFUSED 127.0.0.1:9042') },
    });

    expect(errorText(error)).toBe('no host answered (127.0.0.1:9042: connect ECONNREFUSED 127.0.0.1:9042)');
  });

  it('prints anything else as text', () => {
    expect(errorText('plain')).toBe('plain');
    expect(errorText(42)).toBe('42');
  });
});

describe('describeIssues', () => {
  it('puts every issue on one line with its path', () => {
    const schema = z.object({ results: z.array(z.object({ uuid: z.uuid() })), port: z.number().max(10) });

    const parsed = schema.safeParse({ results: [{ uuid: 'x' }], port: 11 });

    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(describeIssues(parsed.error)).toBe(
      'results[0].uuid: Invalid UUID; port: Too big: expected number to be <=10',
    );
    expect(describeIssues(parsed.error.issues)).toBe(describeIssues(parsed.error));
  });

  it('prints an issue about the whole value as its message', () => {
    expect(describeIssues([{ path: [], message: 'expected an object' }])).toBe('expected an object');
  });
});

describe('isNetworkError', () => {
  it('recognizes socket failures by code only', () => {
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(false);
    expect(isNetworkError(new Error('ECONNRESET'))).toBe(false);
  });
});
