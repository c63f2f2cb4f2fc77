import { describe, expect, it } from 'vitest';
import { fixtureResponse } from '../../test/helpers/fixtures.ts';
import { ValidationError } from './errors.ts';
import {
  createUserSource,
  EmptyResultsError,
  MalformedResponseError,
  pageUrl,
  parseRetryAfter,
  RandomUserHttpError,
  ResponseTooLargeError,
} from './randomuser.ts';

const base = 'http://randomuser.test/api/1.4/';
const request = { results: 100, seed: 's1', page: 2 };

/** A source whose fetch answers every request with `respond()`, recording the URLs asked for. */
function sourceAnswering(respond: () => Response, options: { maxResponseBytes?: number } = {}) {
  const urls: string[] = [];
  const source = createUserSource({
    url: base,
    timeoutMs: 1_000,
    maxResponseBytes: options.maxResponseBytes ?? 10 * 1024 * 1024,
    fetch: async (input) => {
      urls.push(String(input));
      return respond();
    },
    now: () => Date.parse('2026-01-01T00:00:00Z'),
  });
  return { source, urls };
}

const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
    ...init,
  });

describe('pageUrl', () => {
  it('asks for results, seed and page, and nat only when set', () => {
    expect(pageUrl(base, request).toString()).toBe(`${base}?results=100&seed=s1&page=2`);
    expect(pageUrl(base, { ...request, nat: 'gb,fr' }).searchParams.get('nat')).toBe('gb,fr');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable value', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('createUserSource', () => {
  it('returns the raw records and info of a page', async () => {
    const fixture = fixtureResponse();
    const { source, urls } = sourceAnswering(() => json(fixture));

    const page = await source.fetchPage(request);

    expect(urls).toEqual([`${base}?results=100&seed=s1&page=2`]);
    expect(page.results).toHaveLength(100);
    expect(page.info).toEqual({ seed: 'fixture-v1', results: 100, page: 1, version: '1.4' });
    expect(page.bytes).toBe(Buffer.byteLength(JSON.stringify(fixture)));
  });

  it('turns a 429 into a retryable error carrying Retry-After and the API error text', async () => {
    const { source } = sourceAnswering(() =>
      json({ error: 'Rate limit exceeded' }, { status: 429, headers: { 'retry-after': '2' } }),
    );

    const error = await source.fetchPage(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RandomUserHttpError);
    expect(error).toMatchObject({
      status: 429,
      retryAfterMs: 2_000,
      retryable: true,
      code: 'RANDOMUSER_RATE_LIMITED',
    });
    expect((error as Error).message).toContain('Rate limit exceeded');
  });

  it.each([500, 502, 503, 408])('treats HTTP %i as retryable', async (status) => {
    const { source } = sourceAnswering(() => new Response('<html>down</html>', { status }));

    await expect(source.fetchPage(request)).rejects.toMatchObject({ status, retryable: true });
  });

  it('treats other 4xx as final', async () => {
    const { source } = sourceAnswering(() => json({ error: 'bad request' }, { status: 400 }));

    await expect(source.fetchPage(request)).rejects.toMatchObject({ status: 400, retryable: false });
  });

  it('treats 200 with an empty results as retryable', async () => {
    const { source } = sourceAnswering(() =>
      json({ results: [], info: { seed: 's1', results: 0, page: 2, version: '1.4' } }),
    );

    await expect(source.fetchPage(request)).rejects.toBeInstanceOf(EmptyResultsError);
  });

  it('rejects more results than were asked for, as a validation error', async () => {
    const fixture = fixtureResponse();
    const { source } = sourceAnswering(() => json(fixture));

    const error = await source.fetchPage({ ...request, results: 99 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'RANDOMUSER_TOO_MANY_RESULTS', retryable: false });
  });

  it('calls a body that is not JSON malformed, and retryable', async () => {
    const { source } = sourceAnswering(() => new Response('{"results": [ {"gender": "fem', { status: 200 }));

    const error = await source.fetchPage(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MalformedResponseError);
    expect(error).toMatchObject({ code: 'RANDOMUSER_MALFORMED_JSON', retryable: true });
  });

  it('calls JSON without results malformed', async () => {
    const { source } = sourceAnswering(() => json({ users: [] }));

    await expect(source.fetchPage(request)).rejects.toMatchObject({ code: 'RANDOMUSER_MALFORMED' });
  });

  it('aborts a body that grows past the size limit', async () => {
    const chunk = new Uint8Array(4096).fill(32);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const { source } = sourceAnswering(() => new Response(stream, { status: 200 }), {
      maxResponseBytes: 64 * 1024,
    });

    await expect(source.fetchPage(request)).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(sent).toBeLessThan(128 * 1024);
  });

  it('refuses a declared Content-Length over the limit without reading', async () => {
    const { source } = sourceAnswering(
      () => new Response('x', { status: 200, headers: { 'content-length': String(20 * 1024 * 1024) } }),
      { maxResponseBytes: 1024 * 1024 },
    );

    await expect(source.fetchPage(request)).rejects.toMatchObject({
      code: 'RANDOMUSER_RESPONSE_TOO_LARGE',
      retryable: false,
    });
  });

  it('calls a body that breaks off mid-stream truncated, and retryable', async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new TextEncoder().encode('{"results":['));
        else controller.error(new TypeError('terminated'));
      },
    });
    const { source } = sourceAnswering(() => new Response(stream, { status: 200 }));

    await expect(source.fetchPage(request)).rejects.toMatchObject({
      code: 'RANDOMUSER_TRUNCATED',
      retryable: true,
    });
  });

  it('turns a network failure into a transient error', async () => {
    const source = createUserSource({
      url: base,
      timeoutMs: 1_000,
      maxResponseBytes: 1024,
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
      },
    });

    await expect(source.fetchPage(request)).rejects.toMatchObject({
      code: 'RANDOMUSER_UNREACHABLE',
      retryable: true,
    });
  });
});
