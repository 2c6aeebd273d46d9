/**
 * Loaded into a server by the memory check (`node --expose-gc --import THIS`, with
 * BENCH_HEAP_FILE set): on SIGUSR2 it runs a full garbage collection and writes what the
 * process then holds (RSS, V8's heap spaces, memory outside the heap) to BENCH_HEAP_FILE
 * as JSON, so that memory can be read with nothing dead left in V8's heap, and the growth
 * can be told apart by where it is. Servers are started this way only by bench/memory.mjs.
 */
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import v8 from 'node:v8';

process.on('SIGUSR2', () => {
  globalThis.gc();
  const { rss, external } = process.memoryUsage();
  // physical_space_size: memory V8 has committed and touched for the space, dead or alive.
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, { used: space.space_used_size, physical: space.physical_space_size }]));
  writeFileSync(process.env.BENCH_HEAP_FILE, JSON.stringify({ rss, external, spaces }));
});
