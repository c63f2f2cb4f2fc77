/**
 * The fault proxy itself, in front of the stack's real PostgreSQL: what passes, what a cut, a stall and a
 * slow connection do to a client's queries. The other cases rely on these behaviours.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePostgres, stackConnection } from '../../infra/local/endpoints.ts';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.ts';
import { stackConfig } from '../helpers/stack.ts';

let proxy: FaultProxy;

function client(): pg.Client {
  const through = { ...resolvePostgres(stackConfig()), host: proxy.host, port: proxy.port };
  const c = new pg.Client({ ...stackConnection(through), connectionTimeoutMillis: 2_000 });
  c.on('error', () => {});
  return c;
}

beforeAll(async () => {
  proxy = await startFaultProxy(resolvePostgres(stackConfig()));
});

afterAll(async () => {
  await proxy.close();
});

describe('the fault proxy before PostgreSQL', () => {
  it('passes a query through', async () => {
    const c = client();
    await c.connect();
    const { rows } = await c.query<{ n: number }>('SELECT 41 + 1 AS n');
    await c.end();

    expect(rows[0]?.n).toBe(42);
    expect(proxy.accepted).toBeGreaterThan(0);
  });

  it('cut: an open connection fails its next query, and a new one cannot connect until restored', async () => {
    const open = client();
    await open.connect();
    proxy.cut();
    const onOpen = open.query('SELECT 1').then(
      () => 'answered',
      (error: Error) => error.message,
    );
    const fresh = client();
    const onFresh = fresh.connect().then(
      () => 'connected',
      (error: Error) => error.message,
    );
    const results = await Promise.all([onOpen, onFresh]);
    proxy.restore();
    const after = client();
    await after.connect();
    const { rows } = await after.query<{ ok: boolean }>('SELECT true AS ok');
    await after.end();

    expect(results[0]).not.toBe('answered');
    expect(results[1]).not.toBe('connected');
    expect(rows[0]?.ok).toBe(true);
  });

  it('stall: a query gets no answer while stalled and its answer once restored', async () => {
    const c = client();
    await c.connect();
    proxy.stall();
    let answered = false;
    const query = c.query('SELECT 7 AS n').then((r) => {
      answered = true;
      return r.rows[0]?.n;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const whileStalled = answered;
    proxy.restore();
    const n = await query;
    await c.end();

    expect(whileStalled).toBe(false);
    expect(n).toBe(7);
  });

  it('slow: queries still answer, each chunk delayed', async () => {
    proxy.slow(100);
    const c = client();
    await c.connect();
    const { rows } = await c.query<{ s: string }>("SELECT repeat('x', 100000) AS s");
    await c.end();
    proxy.restore();

    expect(proxy.mode).toBe('pass');
    expect(rows[0]?.s).toHaveLength(100_000);
  });
});
