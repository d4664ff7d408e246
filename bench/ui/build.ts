/** The production build bench:ui measures: dist/, rebuilt with `npm run build` when missing or stale. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { progress } from '../shared/format';
import { ROOT } from '../shared/results';
import { DIST } from './settings';

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Builds dist/ when it is missing or older than anything it is built from. */
export function ensureBuild(): string {
  const builtAt = existsSync(join(DIST, 'index.html')) ? statSync(join(DIST, 'index.html')).mtimeMs : 0;
  const sources = [
    'src/ui',
    'src/api',
    'src/contract',
    'src/inspector',
    'src/mocks',
    'machines',
    'public',
    'vite.config.ts',
    'package.json',
  ]
    .map((p) => join(ROOT, p))
    .filter((p) => existsSync(p));
  const sourcesAt = Math.max(...sources.map(newestMtime));
  if (builtAt > sourcesAt) return 'up to date';
  progress(builtAt === 0 ? 'dist/ is missing: npm run build' : 'dist/ is stale: npm run build');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status ?? result.signal})`);
  return 'rebuilt';
}
