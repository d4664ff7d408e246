/** The Parley server under test: bench/serve/ in a child process, each on a database file of its own. */
import { join } from 'node:path';
import type { ServeOptions, ServeReady } from '../serve/options';
import { type Started, startServe } from '../shared/children';
import { cpuProfileArgs } from '../shared/results';
import { scratchDir } from '../shared/teardown';
import { PROFILE } from './settings';

let tempDir: string | null = null;
let dbCounter = 0;

/** The scratch directory holding the servers' databases (made on first use, removed at exit). */
export const databaseDir = () => {
  tempDir ??= scratchDir();
  return tempDir;
};

/** With BENCH_PROFILE=1, each server writes a CPU profile into bench/results/profiles. */
export function startParley(options: Omit<ServeOptions, 'dbPath'>): Promise<Started<ServeReady>> {
  const dbPath = join(databaseDir(), `parley-${++dbCounter}.db`);
  return startServe({ ...options, dbPath }, { nodeArgs: cpuProfileArgs(PROFILE) });
}
