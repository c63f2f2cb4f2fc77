/**
 * A TCP fault proxy for the fault suite: it sits between the functions and one server, passes bytes both
 * ways, and on demand cuts, stalls or slows every connection through it, so a test can make PostgreSQL (say)
 * unreachable to the functions without stopping the machine's own server.
 *
 * Written here rather than taken from a library: Toxiproxy, the usual tool, is a Go server shipped as
 * GitHub release binaries and Docker images, neither reachable from these machines, and the npm proxies
 * (http-proxy, toxy) work at the HTTP level, not on the raw byte stream that PostgreSQL's protocol needs.
 */
import net from 'node:net';

/** What the proxy does with traffic. */
export type FaultMode =
  /** Bytes pass both ways. */
  | 'pass'
  /** Every open connection is reset, and new ones are reset as soon as they are accepted. */
  | 'cut'
  /** Connections are accepted and kept open, but no byte moves either way until the mode changes. */
  | 'stall'
  /** Bytes pass, each chunk `delayMs` late. */
  | 'slow';

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  readonly mode: FaultMode;
  /** Connections open through the proxy now. */
  readonly open: number;
  /** Connections accepted since it started. */
  readonly accepted: number;
  /** Resets every connection and refuses service until {@link restore}. */
  cut(): void;
  /** Holds every byte (in flight and new) until {@link restore}. */
  stall(): void;
  /** Delays every chunk by `delayMs` until {@link restore}. */
  slow(delayMs: number): void;
  /** Back to passing bytes; what a stall held moves on. */
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
}

/** Starts a proxy on 127.0.0.1 (on `port`, or a free one) in front of `target`. */
export async function startFaultProxy(
  target: { host: string; port: number },
  opts: { port?: number } = {},
): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let delayMs = 0;
  let accepted = 0;
  const pairs = new Set<Pair>();

  /** Forwards `from` to `to`, honouring the mode at the moment each chunk arrives. */
  const pipe = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (mode === 'slow') {
        // Pausing keeps the order: the next chunk is read only after this one has been written.
        from.pause();
        setTimeout(() => {
          to.write(chunk);
          if (mode !== 'stall') from.resume();
        }, delayMs).unref();
        return;
      }
      to.write(chunk);
    });
  };

  const server = net.createServer((client) => {
    accepted += 1;
    if (mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair = { client, server: upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    pipe(client, upstream);
    pipe(upstream, client);
    if (mode === 'stall') {
      client.pause();
      upstream.pause();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fault proxy has no TCP port');

  const eachSocket = (fn: (socket: net.Socket) => void) => {
    for (const pair of pairs) {
      fn(pair.client);
      fn(pair.server);
    }
  };

  return {
    host: '127.0.0.1',
    port: address.port,
    get mode() {
      return mode;
    },
    get open() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    cut() {
      mode = 'cut';
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy();
        pair.server.destroy();
        pairs.delete(pair);
      }
    },
    stall() {
      mode = 'stall';
      eachSocket((socket) => socket.pause());
    },
    slow(ms) {
      mode = 'slow';
      delayMs = ms;
      eachSocket((socket) => socket.resume());
    },
    restore() {
      mode = 'pass';
      eachSocket((socket) => socket.resume());
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of [...pairs]) {
          pair.client.destroy();
          pair.server.destroy();
        }
        pairs.clear();
        server.close(() => resolve());
      }),
  };
}
