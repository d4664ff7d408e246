/**
 * Makes the server's `dist/` what the sources say now, once per run, with the same script as `npm start`
 * (scripts/build-ui.ts: it builds only when the build is missing or stale, and swaps it in atomically).
 * Runs only when the e2e project has files to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function setup() {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-ui.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0 || !existsSync(join(ROOT, 'dist', 'index.html'))) {
    throw new Error(`The web UI did not build (scripts/build-ui.ts):\n${result.stdout}\n${result.stderr}`);
  }
}
