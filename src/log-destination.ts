/**
 * Where the server's log lines go: standard output, gathered over one turn of the event
 * loop and written with one system call, since a write per access log line is the largest
 * cost of logging on a busy server (docs/performance.md). Under load a write carries many
 * lines; when idle a line is written as soon as its request is done. Writing stays
 * synchronous, which keeps p99 latency low, and lines still waiting are written when the
 * process exits, a crash included.
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
