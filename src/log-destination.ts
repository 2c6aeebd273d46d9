/**
 * Where the server's log lines go: standard output, gathered over one turn of the event
 * loop and written with one system call, since a write per access log line is the largest
 * cost of logging on a busy server (docs/performance.md). Lines are encoded into a byte
 * buffer as they come, so the turn's write hands over bytes without joining strings or
 * measuring them again. Under load a write carries many lines; when idle a line is written
 * as soon as its request is done. Writing stays synchronous, which keeps p99 latency low,
 * and lines still waiting are written when the process exits, a crash included.
 */
import { writeSync } from 'node:fs';

/** What the gathered bytes are written to; it must be done with them when write returns, as they are reused. */
export interface ByteSink {
  write(bytes: Buffer): unknown;
}

/** Room for a busy turn's lines; a turn with more is written in several pieces. */
const CHUNK_BYTES = 64 * 1024;
/** The most bytes one UTF-16 code unit takes in UTF-8. */
const MAX_UTF8_BYTES_PER_UNIT = 3;

export class TurnBatchedDestination {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private scheduled = false;

  constructor(private readonly out: ByteSink) {}

  write(line: string): boolean {
    const room = line.length * MAX_UTF8_BYTES_PER_UNIT;
    if (this.used + room > this.chunk.length) {
      this.flush();
      if (room > this.chunk.length) this.chunk = Buffer.allocUnsafe(room);
    }
    this.used += this.chunk.write(line, this.used);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return true;
  }

  /** Writes what is waiting now; called at the end of the turn, when the chunk is full, and at exit. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.used === 0) return;
    const bytes = this.chunk.subarray(0, this.used);
    this.used = 0;
    this.out.write(bytes);
    // One buffer serves every turn: a new one per turn was enough allocation to trigger
    // collections of its own. One grown for a very long line is not kept.
    if (this.chunk.length > CHUNK_BYTES) this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  };
}

/** Standard output, written synchronously once per turn. */
export function standardOutputLog(): TurnBatchedDestination {
  const destination = new TurnBatchedDestination({ write: (bytes) => writeAllSync(STANDARD_OUTPUT, bytes) });
  process.on('exit', destination.flush);
  return destination;
}

const STANDARD_OUTPUT = 1;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));
const PAUSE_MS = 1;

/**
 * Writes all of `bytes` to `fd`: a pipe may take part of them, or refuse them for now
 * (EAGAIN) while its reader catches up, which is waited out, as a full pipe must be.
 */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(PAUSE, 0, 0, PAUSE_MS);
    }
  }
}
