/**
 * Starting and stopping the small node:http servers of the local twins (the EventBridge's PutEvents endpoint,
 * the event-source-mapping API): listen on a host and port (0 picks one), say where, and close without
 * waiting for an SDK client's keep-alive connection; read a request's body with a size limit.
 */
import type { IncomingMessage, Server } from 'node:http';

/** A listening server: its base URL, and how to stop it. */
export interface ListeningServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Makes `server` listen on `host`:`port` and resolves once it does; rejects if the port is taken. */
export async function listen(server: Server, host: string, port: number): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  return {
    endpoint: `http://${host}:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A keep-alive connection of an SDK client would otherwise hold the port for its idle timeout.
        server.closeIdleConnections();
      }),
  };
}

/** The body of `req` as UTF-8; throws once it is over `maxBytes`, without reading the rest. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.byteLength;
    if (size > maxBytes) throw new Error(`the request body is over ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
