// The child processes of a benchmark: started with node + tsx, each printing one JSON line once ready, and
// killed when the benchmark ends however it ends (bench/shared/teardown.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServeOptions, ServeReady } from '../serve/options';
import { ROOT } from './results';
import { atTearDown } from './teardown';

const TSX = import.meta.resolve('tsx');

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
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', TSX, script, ...args], {
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  atTearDown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
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

/**
 * Starts the benchmark server (bench/serve/) of the checkout in `dir` (this one unless told), set up as
 * `options` says.
 */
export function startServe(
  options: ServeOptions,
  { dir = ROOT, nodeArgs = [] }: { dir?: string; nodeArgs?: string[] } = {},
): Promise<Started<ServeReady>> {
  return startChild<ServeReady>(join(dir, 'bench', 'serve', 'index.ts'), [JSON.stringify(options)], {
    cwd: dir,
    nodeArgs,
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
