/**
 * Just enough of POP3, IMAP and SMTP to probe a server: read the greeting, switch to TLS
 * with STARTTLS (STLS for POP3), and ask SMTP's EHLO which AUTH mechanisms it offers.
 * Every read has a deadline, so a silent server costs at most the timeout.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ServerType } from '../model/provider';

/** Longest line we buffer: greetings and EHLO lines are short; anything longer is not a mail server. */
const MAX_LINE_BYTES = 8 * 1024;

/** Reads CRLF-terminated lines from a socket, each with a deadline. */
export class LineReader {
  private buffer = '';
  private waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.buffer += chunk.toString('latin1');
    if (this.buffer.length > MAX_LINE_BYTES && !this.buffer.includes('\n')) this.fail(new Error('line too long'));
    this.deliver();
  };
  private readonly onEnd = () => this.fail(new Error('connection closed by the server'));
  private readonly onError = (error: Error) => this.fail(error);

  constructor(private readonly socket: Socket | TLSSocket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  next(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.deliver();
    });
  }

  /** Stops reading, so the socket can be handed to TLS; returns whatever was read past the last line. */
  detach(): string {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    return this.buffer;
  }

  private deliver(): void {
    if (!this.waiting) return;
    const newline = this.buffer.indexOf('\n');
    if (newline !== -1) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve(line);
    } else if (this.failure) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(this.failure);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.deliver();
  }
}

/** An SMTP reply: all lines of a possibly multi-line answer (`250-…` … `250 …`). */
async function readSmtpReply(reader: LineReader, timeoutMs: number): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const line = await reader.next(timeoutMs);
    lines.push(line);
    if (!/^\d{3}-/.test(line)) return lines;
  }
}

const GREETINGS: Record<ServerType, RegExp> = {
  pop3: /^\+OK/,
  imap: /^\* OK/i,
  smtp: /^220[ -]/,
};

/** What each protocol says when it has read a greeting; SMTP's may span several lines. */
export async function readGreeting(type: ServerType, reader: LineReader, timeoutMs: number): Promise<{ ok: boolean; line: string }> {
  const lines = type === 'smtp' ? await readSmtpReply(reader, timeoutMs) : [await reader.next(timeoutMs)];
  const line = lines[0] ?? '';
  return { ok: GREETINGS[type].test(line), line };
}

/** The name we give in EHLO: not a real host, and says who is asking. */
const EHLO_NAME = 'mail-autoconfig.probe';

/** SMTP EHLO; returns the extension lines (without the status code). */
export async function ehlo(socket: Socket | TLSSocket, reader: LineReader, timeoutMs: number): Promise<string[]> {
  socket.write(`EHLO ${EHLO_NAME}\r\n`);
  const reply = await readSmtpReply(reader, timeoutMs);
  if (!reply[0]?.startsWith('250')) throw new Error(`EHLO refused: ${reply[0] ?? ''}`);
  return reply.slice(1).map((line) => line.slice(4));
}

/** The mechanisms of an `AUTH PLAIN LOGIN` extension line (also the old `AUTH=` form). */
export function authMechanisms(extensions: readonly string[]): string[] {
  const auth = extensions.find((line) => /^AUTH[ =]/i.test(line));
  return auth ? auth.slice(5).trim().split(/\s+/).filter(Boolean) : [];
}

/**
 * Asks the server to start TLS and waits for its yes. For SMTP the caller has sent EHLO.
 * Throws with the server's answer when it refuses.
 */
export async function requestStartTls(type: ServerType, socket: Socket, reader: LineReader, timeoutMs: number): Promise<void> {
  switch (type) {
    case 'pop3': {
      socket.write('STLS\r\n');
      const line = await reader.next(timeoutMs);
      if (!line.startsWith('+OK')) throw new Error(`STLS refused: ${line}`);
      return;
    }
    case 'imap': {
      socket.write('a1 STARTTLS\r\n');
      for (;;) {
        const line = await reader.next(timeoutMs);
        if (line.startsWith('* ')) continue;
        if (/^a1 OK/i.test(line)) return;
        throw new Error(`STARTTLS refused: ${line}`);
      }
    }
    case 'smtp': {
      socket.write('STARTTLS\r\n');
      const reply = await readSmtpReply(reader, timeoutMs);
      if (!reply[0]?.startsWith('220')) throw new Error(`STARTTLS refused: ${reply[0] ?? ''}`);
      return;
    }
  }
}

/** Ends the session politely; the socket is destroyed right after, so the answer is not awaited. */
export function sayGoodbye(type: ServerType, socket: Socket | TLSSocket): void {
  if (socket.destroyed || !socket.writable) return;
  socket.write(type === 'imap' ? 'a9 LOGOUT\r\n' : 'QUIT\r\n');
}
