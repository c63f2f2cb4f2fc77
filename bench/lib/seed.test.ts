// Unit tests of eachPage in bench/lib/seed.ts: paging and the retry of a page that fails for now, on a
// scripted client. No server is contacted.
import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { RetriesExhaustedError } from '../../functions/lib/retry.ts';
import { eachPage, type PageRow, type PageSource } from './seed.ts';

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;
const fast = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 };

function rows(from: number, count: number): PageRow[] {
  return Array.from({ length: count }, (_, i) => ({
    get: (column: string) => (column === 'id' ? from + i : undefined),
  }));
}

/** Serves `pages` in order (page n carries pageState `p<n+1>` unless it is the last), failing as scripted. */
function scripted(pages: PageRow[][], failures: Record<string, Error[]> = {}) {
  const calls: Array<string | undefined> = [];
  const source: PageSource = {
    async execute(_query, _params, options) {
      const state = options.pageState === undefined ? undefined : String(options.pageState);
      calls.push(state);
      const failure = failures[state ?? 'first']?.shift();
      if (failure) throw failure;
      const index = state === undefined ? 0 : Number(state.slice(1));
      const last = index === pages.length - 1;
      return { rows: pages[index] ?? [], pageState: last ? null : `p${index + 1}` };
    },
  };
  return { source, calls };
}

async function ids(source: PageSource): Promise<number[]> {
  const seen: number[] = [];
  await eachPage(
    source,
    'SELECT id FROM t',
    (page) => seen.push(...page.map((r) => Number(r.get('id')))),
    fast,
  );
  return seen;
}

describe('eachPage', () => {
  it('reads every page in order, passing each page state on', async () => {
    const { source, calls } = scripted([rows(0, 3), rows(3, 3), rows(6, 1)]);
    expect(await ids(source)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(calls).toEqual([undefined, 'p1', 'p2']);
  });

  it('reads a page that timed out on the server again from the same state, and no other page twice', async () => {
    const timeout = new errors.ResponseError(codes.readTimeout, 'Server timeout during read query');
    const { source, calls } = scripted([rows(0, 2), rows(2, 2), rows(4, 2)], { p1: [timeout, timeout] });
    expect(await ids(source)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(calls).toEqual([undefined, 'p1', 'p1', 'p1', 'p2']);
  });

  it('throws a refused statement at once', async () => {
    const syntax = new errors.ResponseError(codes.syntaxError, 'line 1:7 no viable alternative');
    const { source, calls } = scripted([rows(0, 1)], { first: [syntax] });
    await expect(ids(source)).rejects.toBe(syntax);
    expect(calls).toHaveLength(1);
  });

  it('gives up after five attempts at one page, naming the query and the last error', async () => {
    const timeout = () => new errors.ResponseError(codes.readTimeout, 'Server timeout during read query');
    const { source, calls } = scripted([rows(0, 1)], { first: Array.from({ length: 6 }, timeout) });
    const failure = ids(source);
    await expect(failure).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(failure).rejects.toThrow(/reading SELECT id FROM t failed after 5 attempts.*Server timeout/);
    expect(calls).toHaveLength(5);
  });
});
