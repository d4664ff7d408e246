// `npm run bench:compare -- <rev> [<rev>]`: the empty poll of bench:server (GET /api/messages answered 304),
// for two versions of the server side by side. Not a test.
//
// On a shared VM the same code answers 10 % more or fewer polls from one hour to the next, so a figure taken
// today cannot be set against one from yesterday. Here both servers run at once, each in its own process,
// and are loaded in alternation: pairs of short rounds, the order swapped from pair to pair. What counts is
// each pair's ratio, whose median moves far less than either server's own rate.
//
// A revision is anything `git worktree add` takes (a commit, a branch, HEAD~3), checked out into a scratch
// directory that shares this checkout's node_modules; `.` is the working tree. The second defaults to `.`.
// Both sides are set up by this checkout's bench/serve/ (copied into the other), so only the server's code
// differs. The rounds are bench:server's (load.ts), the poll is its scenario `poll` (poll.ts).
// Knobs (environment): BENCH_PAIRS (12), BENCH_SECONDS (2), BENCH_WARMUP_SECONDS (3).
import { execFileSync } from 'node:child_process';
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ServeReady } from '../serve/options';
import { type Started, startServe, stopChild } from '../shared/children';
import { intFromEnv } from '../shared/env';
import { markdownTable, progress } from '../shared/format';
import { ROOT } from '../shared/results';
import { median } from '../shared/stats';
import { atTearDown, runBenchmark, scratchDir } from '../shared/teardown';
import { cannon } from './load';
import { conditionalPoll } from './poll';
import { CONNECTIONS } from './settings';

const PAIRS = intFromEnv('BENCH_PAIRS', 12);
const ROUND_SECONDS = intFromEnv('BENCH_SECONDS', 2);
const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP_SECONDS', 3);

interface Side {
  label: string;
  server: Started<ServeReady>;
  url: string;
  headers: Record<string, string>;
  rounds: { rps: number; cpuUsPerRequest: number; statuses: string[] }[];
}

/** The directory holding `rev`: this checkout for `.`, else a scratch worktree sharing node_modules. */
function checkout(rev: string, scratch: string): string {
  if (rev === '.') return ROOT;
  const dir = join(scratch, `rev-${rev.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
  execFileSync('git', ['worktree', 'add', '--detach', '--quiet', dir, rev], { cwd: ROOT, stdio: 'inherit' });
  atTearDown(() =>
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' }),
  );
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  cpSync(join(ROOT, 'bench', 'serve'), join(dir, 'bench', 'serve'), { recursive: true });
  return dir;
}

async function startSide(rev: string, scratch: string, index: number): Promise<Side> {
  const dir = checkout(rev, scratch);
  const server = await startServe({ setup: 'poll', dbPath: join(scratch, `parley-${index}.db`) }, { dir });
  const { url, headers } = await conditionalPoll(server.ready, rev);
  return { label: rev, server, url, headers, rounds: [] };
}

async function load(side: Side, seconds: number) {
  const round = await cannon(
    { url: side.url, headers: side.headers, duration: seconds },
    side.server.child.pid,
  );
  return {
    rps: round.rps,
    cpuUsPerRequest: round.serverCpuUsPerRequest ?? Number.NaN,
    statuses: Object.keys(round.statusCodes),
  };
}

async function main() {
  const [first, second = '.'] = process.argv.slice(2);
  if (!first)
    throw new Error(
      'Usage: npm run bench:compare -- <rev> [<rev>]   (a revision, or . for the working tree)',
    );
  const scratch = scratchDir();
  const sides = [await startSide(first, scratch, 0), await startSide(second, scratch, 1)] as const;
  console.log(
    `Empty poll → 304, ${first} against ${second}: ${PAIRS} pairs of ${ROUND_SECONDS} s rounds after a ${WARMUP_SECONDS} s warm-up each; autocannon ${CONNECTIONS} connections.`,
  );
  for (const side of sides) await load(side, WARMUP_SECONDS);
  for (let pair = 0; pair < PAIRS; pair++) {
    const order = pair % 2 === 0 ? sides : ([sides[1], sides[0]] as const);
    for (const side of order) side.rounds.push(await load(side, ROUND_SECONDS));
    progress(
      `pair ${pair + 1}/${PAIRS}: ${sides.map((s) => Math.round(s.rounds.at(-1)?.rps ?? 0)).join(' / ')} req/s`,
    );
  }
  const [a, b] = sides;
  const ratios = a.rounds.map((r, i) => (b.rounds[i]?.rps ?? Number.NaN) / r.rps);
  const cpuRatios = a.rounds.map((r, i) => (b.rounds[i]?.cpuUsPerRequest ?? Number.NaN) / r.cpuUsPerRequest);
  const valid = sides.every((s) => s.rounds.every((r) => r.statuses.join() === '304'));
  console.log(
    markdownTable(
      ['Version', 'Median req/s', 'Median CPU per request'],
      sides.map((s) => [
        s.label,
        Math.round(median(s.rounds.map((r) => r.rps))).toLocaleString('en-US'),
        `${median(s.rounds.map((r) => r.cpuUsPerRequest)).toFixed(1)} µs`,
      ]),
    ),
  );
  console.log(
    `\n${second} ÷ ${first}, pair by pair: req/s median ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); CPU per request median ${median(cpuRatios).toFixed(3)}.`,
  );
  if (!valid) console.log('INVALID: some answers were not 304.');
  for (const side of sides) await stopChild(side.server.child);
}

runBenchmark('bench/server/compare.ts', main);
