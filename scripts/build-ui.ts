/**
 * `npm start` (prestart) and `npm run build`: makes dist/ a complete build of the web UI, building only
 * when it is missing or stale (src/server/uiBuild.ts says what that means) and swapping the new build in
 * atomically, so instances already running from this checkout are not disturbed.
 * Usage: node --import tsx scripts/build-ui.ts [--force] [--dist <path>]
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureUiBuild } from '../src/server/uiBuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function main() {
  const { values } = parseArgs({ options: { force: { type: 'boolean' }, dist: { type: 'string' } } });
  const dist = resolve(values.dist ?? resolve(ROOT, 'dist'));
  const startedAt = Date.now();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const result = await ensureUiBuild({ dist, sourceRoot: ROOT, force: values.force, log: say });
  const where = `${relative(process.cwd(), dist) || dist} → ${relative(process.cwd(), result.dir) || result.dir}`;
  if (result.status === 'fresh') say(`The UI build is up to date (${where}).`);
  else say(`Built the UI in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (${where}).`);
}

main().catch((err: unknown) => {
  process.stderr.write(`The UI did not build: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
