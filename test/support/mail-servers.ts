/**
 * Small POP3, IMAP and SMTP servers for the probe tests: they listen on 127.0.0.1 only,
 * greet, speak STARTTLS/STLS, answer EHLO with AUTH, and say goodbye. Certificates come
 * from test/fixtures/tls (a test CA, a valid *.probe.test certificate, an expired one).
 */
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { createSecureContext, createServer as createTlsServer, TLSSocket, type SecureContext } from 'node:tls';

const TLS_DIR = path.join(__dirname, '..', 'fixtures', 'tls');
export const TEST_CA_FILE = path.join(TLS_DIR, 'ca.pem');

interface KeyPair {
  readonly key: Buffer;
  readonly cert: Buffer;
}
function keyPair(name: 'server' | 'expired'): KeyPair {
  return { key: readFileSync(path.join(TLS_DIR, `${name}.key`)), cert: readFileSync(path.join(TLS_DIR, `${name}.pem`)) };
}
export const CERTIFICATES = { valid: () => keyPair('server'), expired: () => keyPair('expired') };

export type Protocol = 'pop3' | 'imap' | 'smtp';

export interface MailServerOptions {
  readonly protocol: Protocol;
  /** implicit: TLS from the first byte; starttls: plain greeting, then STARTTLS/STLS; silent: accepts and never speaks. */
  readonly security: 'implicit' | 'starttls' | 'silent';
  readonly certificate?: KeyPair;
  /** What EHLO lists after TLS (SMTP only). */
  readonly authMechanisms?: readonly string[];
}

export interface MailTestServer {
  readonly port: number;
  close(): Promise<void>;
}

const GREETING: Record<Protocol, string> = {
  pop3: '+OK test POP3 ready',
  imap: '* OK [CAPABILITY IMAP4rev1 STARTTLS] test IMAP ready',
  smtp: '220 mail.probe.test ESMTP test',
};

export async function startMailServer(options: MailServerOptions): Promise<MailTestServer> {
  const certificate = options.certificate ?? CERTIFICATES.valid();
  const context = createSecureContext(certificate);
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (options.security !== 'silent') converse(socket, options, context, options.security === 'implicit');
  };
  const server: Server =
    options.security === 'implicit' ? createTlsServer(certificate, onConnection) : createTcpServer(onConnection);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Reads commands and answers them; after STARTTLS it goes on over TLS, where the client speaks first. */
function converse(socket: Socket, options: MailServerOptions, context: SecureContext, secure: boolean, greet = true): void {
  const send = (line: string) => socket.write(`${line}\r\n`);
  let buffer = '';
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (respond(line, options, secure, send, () => socket.end()) === 'upgrade') {
        socket.off('data', onData);
        const upgraded = new TLSSocket(socket, { isServer: true, secureContext: context });
        upgraded.on('error', () => upgraded.destroy());
        converse(upgraded, options, context, true, false);
        return;
      }
    }
  };
  socket.on('data', onData);
  if (greet) send(GREETING[options.protocol]);
}

/** One command, one answer; returns 'upgrade' after agreeing to start TLS. */
function respond(line: string, options: MailServerOptions, secure: boolean, send: (line: string) => void, end: () => void): 'upgrade' | undefined {
  const [first = '', second = ''] = line.split(' ');
  const offerTls = !secure && options.security === 'starttls';
  switch (options.protocol) {
    case 'pop3':
      if (first.toUpperCase() === 'STLS' && offerTls) return send('+OK begin TLS'), 'upgrade';
      if (first.toUpperCase() === 'QUIT') return send('+OK bye'), end(), undefined;
      return send('-ERR unknown command'), undefined;
    case 'imap':
      if (second.toUpperCase() === 'STARTTLS' && offerTls) return send(`${first} OK begin TLS`), 'upgrade';
      if (second.toUpperCase() === 'LOGOUT') return send('* BYE'), send(`${first} OK bye`), end(), undefined;
      return send(`${first} BAD unknown command`), undefined;
    case 'smtp': {
      const verb = first.toUpperCase();
      if (verb === 'EHLO') {
        const extensions = ['PIPELINING', ...(offerTls ? ['STARTTLS'] : [])];
        const mechanisms = options.authMechanisms ?? ['PLAIN', 'LOGIN'];
        if (secure && mechanisms.length > 0) extensions.push(`AUTH ${mechanisms.join(' ')}`);
        send(`250-mail.probe.test greets ${second}`);
        extensions.forEach((extension, index) => send(`250${index === extensions.length - 1 ? ' ' : '-'}${extension}`));
        return undefined;
      }
      if (verb === 'STARTTLS' && offerTls) return send('220 go ahead'), 'upgrade';
      if (verb === 'QUIT') return send('221 bye'), end(), undefined;
      return send('502 unknown command'), undefined;
    }
  }
}
