/**
 * Builds the web UI once per run, so the server's `dist/` is what `src/ui` says now (vite takes about a
 * second). Runs only when the e2e project has files to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function setup() {
  const vite = join(ROOT, 'node_modules', '.bin', 'vite');
  const result = spawnSync(vite, ['build', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0 || !existsSync(join(ROOT, 'dist', 'index.html'))) {
    throw new Error(`The web UI did not build (npm run build):\n${result.stdout}\n${result.stderr}`);
  }
}
