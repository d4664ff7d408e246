// How a benchmark ends, however it ends (done, failed, or stopped by a signal): what it started is stopped
// and what it wrote outside bench/results is removed. The exit and signal handlers are installed with the
// first clean-up, so a script that registers none keeps Node's own.
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from './format';

const cleanups: (() => void)[] = [];
const stops: (() => Promise<void>)[] = [];
let installed = false;
let signalled = false;
let tornDown = false;

/** Runs `cleanup` (synchronously) when the benchmark ends, however it ends; the last registered runs first. */
export function atTearDown(cleanup: () => void) {
  installTeardown();
  cleanups.push(cleanup);
}

/**
 * Runs `stop` before the clean-ups when the benchmark fails or is stopped by a signal (a browser to close,
 * clients to sign off), given up on after `withinMs`. A run that ends well stops these itself.
 */
export function beforeTearDown(stop: () => Promise<unknown>, withinMs: number) {
  installTeardown();
  stops.push(() =>
    Promise.race([
      stop().then(
        () => {},
        () => {},
      ),
      sleep(withinMs),
    ]),
  );
}

/**
 * Runs a benchmark's `main` and exits: 0 when it is done, 1 when it fails (after its stops), so the exit
 * handler tears down whatever is left.
 */
export function runBenchmark(script: string, main: () => Promise<void>) {
  main().then(
    () => process.exit(0),
    async (err: unknown) => {
      // Stopped by a signal: what failed is what the stopping closed, and the signal handler exits.
      if (signalled) return;
      process.stderr.write(`${script} failed: ${describeError(err)}\n`);
      await stopAll();
      process.exit(1);
    },
  );
}

/**
 * A scratch directory for the benchmark's SQLite files, removed at exit. It is on tmpfs where there is one,
 * so the figures are the server's and not this machine's disk (on a slow virtual disk, WAL writes and
 * checkpoints stall for ms). BENCH_DB_DIR picks another parent directory, e.g. /tmp to include the disk.
 */
export function scratchDir(prefix = 'parley-bench-'): string {
  const dir = mkdtempSync(join(dbParentDir(), prefix));
  atTearDown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Where benchmark databases go: BENCH_DB_DIR, else /dev/shm where it is writable, else the OS temp dir. */
export const dbParentDir = () =>
  process.env.BENCH_DB_DIR || (isWritableDir('/dev/shm') ? '/dev/shm' : tmpdir());

function isWritableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

async function stopAll() {
  await Promise.all(stops.splice(0).map((stop) => stop()));
}

/** Synchronous, so it also runs from the 'exit' event. */
function tearDownNow() {
  if (tornDown) return;
  tornDown = true;
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup();
    } catch (error) {
      process.stderr.write(`  ! clean-up failed: ${(error as Error).message}\n`);
    }
  }
}

function installTeardown() {
  if (installed) return;
  installed = true;
  process.on('exit', tearDownNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      signalled = true;
      process.stderr.write(`\n${signal}: stopping the benchmark.\n`);
      void stopAll().finally(() => {
        tearDownNow();
        process.exit(130);
      });
    });
  }
}
