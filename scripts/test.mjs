#!/usr/bin/env node
// `npm test`: every test in one run. Browser tests need Debian's Chromium, and the server tests on
// PostgreSQL need Debian's PostgreSQL server binaries (each test file starts a throw-away server of its
// own); on a fresh machine they are installed here (as root, with apt-get) before the tests run. Ends with
// one plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PG_ROOT = '/usr/lib/postgresql';

function run(cmd, args, opts = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return result.status ?? 1;
}

/** Whether some version of the PostgreSQL server is installed where tests/server/pg/instance.ts looks. */
function hasPostgres() {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'initdb'));
  return (
    existsSync(PG_ROOT) && readdirSync(PG_ROOT).some((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
  );
}

const hasBrowserTests =
  existsSync('tests/e2e') && readdirSync('tests/e2e').some((f) => f.endsWith('.test.ts'));
const hasPostgresTests = existsSync('tests/server/pg/instance.ts');

/** Debian packages to install, each with what needs it. */
const missing = [];
if (hasBrowserTests && !existsSync(CHROMIUM)) {
  missing.push({ pkg: 'chromium', why: `Browser tests need Chromium at ${CHROMIUM}.` });
}
if (hasPostgresTests && !hasPostgres()) {
  if (process.env.PG_BIN) {
    console.error(`PG_BIN=${process.env.PG_BIN} has no initdb in it: point it at PostgreSQL's bin folder.`);
    process.exit(1);
  }
  missing.push({
    pkg: 'postgresql',
    why: `Server tests on PostgreSQL need its server binaries (${PG_ROOT}/<version>/bin).`,
  });
}
if (missing.length > 0) {
  const names = missing.map((m) => m.pkg);
  if (process.getuid?.() !== 0) {
    for (const m of missing) console.error(m.why);
    console.error(`Run "sudo apt-get install -y ${names.join(' ')}" first.`);
    process.exit(1);
  }
  console.log(`Installing Debian's ${names.join(' and ')} for the tests…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (
    run('apt-get', ['update', '-q'], { env }) !== 0 ||
    run('apt-get', ['install', '-y', '-q', ...names], { env }) !== 0
  ) {
    console.error(`Could not install ${names.join(' and ')} with apt-get.`);
    process.exit(1);
  }
}

mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
const status = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  // Failed tests, plus each test file that failed without a failing test (it did not load, or a hook threw);
  // numFailedTestSuites would count every describe block around a failed test as well.
  const brokenFiles = (r.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
  const failed = r.numFailedTests + brokenFiles;
  console.log(`Tests: ${r.numPassedTests} passed, ${failed} failed`);
}
process.exit(status);
