/**
 * One `npm start`'s build step in a process of its own, with a fake builder (tests/server/uiBuild.test.ts):
 * node --import tsx tests/server/uiBuild-child.ts <sourceRoot> <dist> <log file> <build ms>
 * The fake build appends "<pid>" to the log file, takes <build ms>, then writes src/ui/index.html and an
 * asset. Prints the result as one JSON line.
 */
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureUiBuild } from '../../src/server/uiBuild';

const [sourceRoot, dist, logFile, buildMs] = process.argv.slice(2) as [string, string, string, string];

ensureUiBuild({
  dist,
  sourceRoot,
  build: async (outDir) => {
    appendFileSync(logFile, `${process.pid}\n`);
    mkdirSync(join(outDir, 'assets'), { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, Number(buildMs)));
    writeFileSync(join(outDir, 'assets', 'app.js'), 'console.log(1);');
    copyFileSync(join(sourceRoot, 'src/ui/index.html'), join(outDir, 'index.html'));
  },
}).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
