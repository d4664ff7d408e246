// The child processes of a benchmark: started with node + tsx, each printing one JSON line once ready, and all
// killed (and the scratch directory removed) on exit, error or signal. The exit and signal handlers are
// installed with the first child, scratch directory or clean-up, so a script that only borrows stopChild or
// cpuMsOf keeps its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const TSX = import.meta.resolve('tsx');
const children = new Set<ChildProcess>();
const cleanups: (() => void)[] = [];

/**
 * A scratch directory for the benchmark's SQLite files, removed at exit. It is on tmpfs where there is one,
 * so the figures are the server's and not this machine's disk (on a slow virtual disk, WAL writes and
 * checkpoints stall for ms). BENCH_DB_DIR picks another parent directory, e.g. /tmp to include the disk.
 */
export function scratchDir(): string {
  const dir = mkdtempSync(join(dbParentDir(), 'parley-bench-'));
  atTearDown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Where benchmark databases go: BENCH_DB_DIR, else /dev/shm where it is writable, else the OS temp dir. */
export const dbParentDir = () =>
  process.env.BENCH_DB_DIR || (isWritableDir('/dev/shm') ? '/dev/shm' : tmpdir());

/** Runs `cleanup` (synchronously) when the benchmark ends, however it ends. */
export function atTearDown(cleanup: () => void) {
  installTeardown();
  cleanups.push(cleanup);
}

function isWritableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

let tornDown = false;

/** Synchronous, so it also runs from the 'exit' event: kills whatever child is left, then the cleanups. */
function tearDownNow() {
  if (tornDown) return;
  tornDown = true;
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup();
    } catch (error) {
      process.stderr.write(`  ! clean-up failed: ${(error as Error).message}\n`);
    }
  }
}
let installed = false;
function installTeardown() {
  if (installed) return;
  installed = true;
  process.on('exit', tearDownNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark.\n`);
      tearDownNow();
      process.exit(130);
    });
  }
}

export interface Started<T> {
  child: ChildProcess;
  ready: T;
}

/**
 * Starts `script` (a path) with node + tsx in `cwd` and waits for the JSON line it prints once listening.
 * The child's stdin stays open: bench children exit when it closes, so none outlives a crashed parent.
 */
export function startChild<T>(
  script: string,
  args: string[],
  options: { cwd: string; nodeArgs?: string[] },
): Promise<Started<T>> {
  installTeardown();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', TSX, script, ...args], {
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start within 180 s`));
    }, 180_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve({ child, ready: JSON.parse(line) as T });
      } catch {
        reject(new Error(`${script} printed "${line}" instead of its JSON line`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${signal ?? code}) before it was ready`));
    });
  });
}

/** SIGTERM, then SIGKILL if the child has not gone after 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}

/** CPU time (user + system, in ms) a process has used so far, from /proc; null where there is no /proc. */
export function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from after the command name: indexes 11 and 12.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}
