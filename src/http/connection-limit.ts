/**
 * Caps on open connections: in total (Node's `maxConnections`, which closes the excess at
 * once) and per client address, so one client holding idle sockets cannot use up the
 * process's file descriptors and starve everyone else (docs/operations.md, "Connections").
 * A connection over its address's cap gets a minimal 503 and is closed before any request
 * is read. Trusted proxies are exempt from the per-address cap: every client behind them
 * shares their address.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { TrustProxy } from './request-view';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
}

const TOO_MANY = Buffer.from(
  'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 29\r\n\r\nToo many connections from you',
);

/** Applies the caps to `server`; returns how many connections each address holds now (for tests and logs). */
export function limitConnections(server: Server, { maxConnections, maxConnectionsPerClient }: ConnectionLimits, trust: TrustProxy): () => ReadonlyMap<string, number> {
  server.maxConnections = maxConnections;
  const openByAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (trust(address, 0)) return;
    const open = (openByAddress.get(address) ?? 0) + 1;
    if (open > maxConnectionsPerClient) {
      socket.end(TOO_MANY, () => socket.destroy());
      return;
    }
    openByAddress.set(address, open);
    socket.once('close', () => {
      const left = (openByAddress.get(address) ?? 1) - 1;
      if (left === 0) openByAddress.delete(address);
      else openByAddress.set(address, left);
    });
  });
  return () => openByAddress;
}
