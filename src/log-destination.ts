/**
 * Where the server's log lines go: standard output, gathered over one turn of the event
 * loop and written with one system call.
 *
 * Every request writes an access log line. Written one by one, each line was a write(2)
 * of its own, the largest cost of the access log on a busy server: measured side by side
 * (bench/ab.mjs), GET autoconfig took 107 µs of CPU per request with a write per line and
 * 77 µs with a write per turn, against 51 µs for a raw node:http server. Lines
 * written during one turn (the requests whose sockets were readable together) are sent
 * together when the turn ends, so under load a write carries many lines, and when idle a
 * line is written as soon as the request that logged it is done. Writing stays
 * synchronous (an asynchronous destination tripled p99 latency), and lines still waiting
 * are written when the process exits, a crash included.
 */
import pino from 'pino';

/** What pino writes to and what is written to in the end: anything with `write(text)`. */
export interface LineSink {
  write(text: string): unknown;
}

export class TurnBatchedDestination implements LineSink {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly out: LineSink) {}

  write(line: string): boolean {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return true;
  }

  /** Writes what is waiting now; called at the end of the turn and at exit. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.out.write(text);
  };
}

/** Standard output, written synchronously (pino's own destination) once per turn. */
export function standardOutputLog(): TurnBatchedDestination {
  const destination = new TurnBatchedDestination(pino.destination({ dest: 1, sync: true }));
  process.on('exit', destination.flush);
  return destination;
}
