/**
 * The server's log destination gathers the lines of one event loop turn into one write
 * (src/log-destination.ts). What is written, and in what order, must not change; that
 * lines still waiting are written at exit is checked against a real process in
 * signals.test.ts.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TurnBatchedDestination } from '../src/log-destination';

function recordingDestination() {
  const writes: string[] = [];
  return { writes, destination: new TurnBatchedDestination({ write: (text: string) => writes.push(text) }) };
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
