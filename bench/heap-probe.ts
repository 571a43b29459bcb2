/**
 * Preloaded into a benchmarked node (`--expose-gc -r dist/bench/heap-probe.js`): on SIGUSR2 it
 * collects garbage and writes the node's memory figures to HEAP_PROBE_FILE, so a benchmark can read
 * a child's live heap without the node exposing anything of the kind itself.
 */
import fs from 'node:fs';

const file = process.env.HEAP_PROBE_FILE;
const collect = (globalThis as { gc?: () => void }).gc;

if (file && collect) {
  process.on('SIGUSR2', () => {
    collect();
    collect(); // a second pass takes what the first one's finalisers let go
    fs.writeFileSync(file, JSON.stringify(process.memoryUsage()));
  });
}
