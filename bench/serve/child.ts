// What every server child of the benchmarks does (bench/serve/index.ts, bench/ui/serve.ts): listens on
// 127.0.0.1, prints one JSON line once ready, and stops on SIGTERM, SIGINT or when its parent closes stdin
// (so a crashed parent leaves nothing behind), removing its database. Imports nothing else of bench/:
// bench:compare copies this folder into the checkout of the other revision.
import { rmSync } from 'node:fs';
import type { ParleyApp } from '../../src/server/app';

/** Every account's password. */
export const PASSWORD = 'benchmark password';

/** Password hashing is lowered to keep setup of ~1,000 accounts quick; no measured request hashes a password. */
export const SETUP_HASHING = { cost: 1024 };

/** Listens on a free port of 127.0.0.1 and returns it. */
export async function listen(app: ParleyApp): Promise<number> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return Number(new URL(address).port);
}

/** Prints `ready` as the child's one line, then serves until told to stop. */
export function serveUntilStopped(app: ParleyApp, dbPath: string, ready: object) {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3000).unref();
    app.close().then(
      () => {
        removeDatabase(dbPath);
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

/** Runs the child's `main`; a failure is one line on stderr and exit code 1. */
export function runChild(script: string, main: () => Promise<void>) {
  main().catch((err: unknown) => {
    process.stderr.write(`${script}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

/** The database is the benchmark's own: gone with the server, even if the parent died before cleaning up. */
function removeDatabase(dbPath: string) {
  if (dbPath === ':memory:') return;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
}
