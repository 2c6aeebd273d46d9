/**
 * The server's log destination gathers the lines of one event loop turn into one write
 * (src/log-destination.ts). What is written, and in what order, must not change; that
 * lines still waiting are written at exit is checked against a real process in
 * signals.test.ts.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TurnBatchedDestination, writeAllSync } from '../src/log-destination';

function recordingDestination() {
  const writes: string[] = [];
  return { writes, destination: new TurnBatchedDestination({ write: (bytes: Buffer) => writes.push(bytes.toString('utf8')) }) };
}

test('lines written in one turn reach the output together, in order, when the turn ends', async () => {
  const { writes, destination } = recordingDestination();
  destination.write('{"n":1}\n');
  destination.write('{"n":2}\n');
  destination.write('{"n":3}\n');
  expect(writes).toEqual([]);
  await nextTurn();
  expect(writes).toEqual(['{"n":1}\n{"n":2}\n{"n":3}\n']);
});

test('each turn with lines is written; a turn without lines writes nothing', async () => {
  const { writes, destination } = recordingDestination();
  destination.write('first\n');
  await nextTurn();
  await nextTurn();
  destination.write('second\n');
  await nextTurn();
  expect(writes).toEqual(['first\n', 'second\n']);
});

test('flush writes what is waiting at once, and nothing twice', async () => {
  const { writes, destination } = recordingDestination();
  destination.write('last words\n');
  destination.flush();
  expect(writes).toEqual(['last words\n']);
  await nextTurn();
  expect(writes).toEqual(['last words\n']);
});

test('a turn with more lines than the buffer holds is written in pieces, every line whole and in order', async () => {
  const { writes, destination } = recordingDestination();
  const lines = Array.from({ length: 2_000 }, (_unused, n) => `{"n":${n},"text":"jörg ☃ 😀 ${'x'.repeat(n % 97)}"}\n`);
  for (const line of lines) destination.write(line);
  // A line longer than the buffer is written whole too.
  const long = `{"long":"${'é'.repeat(100_000)}"}\n`;
  destination.write(long);
  await nextTurn();
  expect(writes.length).toBeGreaterThan(1);
  expect(writes.join('')).toBe(lines.join('') + long);
});

test('writeAllSync puts every byte into the file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'log-destination-'));
  try {
    const file = path.join(dir, 'out.log');
    const fd = openSync(file, 'w');
    const bytes = Buffer.from('line ☃\n'.repeat(50_000), 'utf8');
    writeAllSync(fd, bytes);
    closeSync(fd);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
