/** Looking into this process, where the clients run: its settled heap, heap snapshots, a CPU profile. */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeHeapSnapshot } from 'node:v8';
import { progress } from '../shared/format';
import { ensureResultsDir } from '../shared/results';

/** `global.gc`, there when Node runs with --expose-gc (bench/clients/index.ts checks). */
export const gc = (globalThis as { gc?: () => void }).gc;

export type Heap = Awaited<ReturnType<typeof settledHeap>>;

/** Heap in use after full collections (twice: the first may leave weakly held and finalised objects). */
export async function settledHeap() {
  await sleep(50);
  gc?.();
  await sleep(50);
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

/** A heap snapshot of this process into bench/results (for a diff of before and after in DevTools). */
export function heapSnapshot(n: number, when: 'before' | 'after') {
  const file = writeHeapSnapshot(join(ensureResultsDir(), `clients-${n}-${when}-${Date.now()}.heapsnapshot`));
  progress(`heap snapshot written to ${file}`);
}

/** Starts profiling this process's CPU; the function returned stops and writes bench/results/profiles/…. */
export async function startCpuProfile(n: number): Promise<() => Promise<void>> {
  const profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
  return async () => {
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    const file = join(ensureResultsDir('profiles'), `clients-${n}-${Date.now()}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    progress(`CPU profile of the sends written to ${file}`);
  };
}
