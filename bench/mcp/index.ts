// `npm run bench:mcp`: a bounded, loopback-only benchmark of the automation server (src/mcp/). Not a test.
//
// The Parley server runs in a child process (bench/serve/, setup `pair`: alice and bob, friends; SQLite file
// in a scratch directory, cheap password hashing, the send rate limit raised). Then, one phase at a time
// (phase.ts), the automation server is started as a person runs it (servers.ts): over HTTP, one process
// with an SDK client of each protocol era; over stdio, one process per era, spawned by the SDK's
// StdioClientTransport. Beside it, in this process, alice's headless client with the same agent the tools
// wrap (direct.ts): the baseline. Each operation alternates between the direct call and the MCP paths
// (roundtrip.ts): list_friends, ping, send_message; then wait_for_messages wake-ups on bob's sends
// (wakeup.ts). Every process and directory it made is gone when it ends. Prints a table and writes
// bench/results/mcp-<date>.json.
//
// Knobs (environment): BENCH_ONLY (comma-separated: http, stdio-2025, stdio-2026; all by default),
// BENCH_WARMUP (turns before the measured ones, 50), BENCH_LIST_CALLS (300), BENCH_SEND_CALLS (200),
// BENCH_WAKE_SAMPLES (40), BENCH_PROFILE=1 (CPU profiles of the automation servers into
// bench/results/profiles), BENCH_DB_DIR (parent of the scratch directory: the database and the data
// folders; /dev/shm where writable).
import { join } from 'node:path';
import { SETUP_HASHING } from '../serve/child';
import { startServe, stopChild } from '../shared/children';
import { progress } from '../shared/format';
import {
  busyNote,
  coreCount,
  cpuPressure,
  loadAverage,
  machineAtStart,
  pressureNote,
  printHeading,
} from '../shared/machine';
import { toJson, writeResults } from '../shared/results';
import { runBenchmark, scratchDir } from '../shared/teardown';
import { PHASES, type PhaseResult, runPhase } from './phase';
import { details, rows, table } from './report';
import {
  LIST_CALLS,
  ONLY,
  SEND_CALLS,
  SEND_RATE,
  WAIT_SETTLE_MS,
  WAKE_SAMPLES,
  WAKE_WARMUP,
  WARMUP_CALLS,
} from './settings';

/** Which sample a nearest-rank p99 of `n` is, in words. */
function p99Rank(n: number): string {
  const fromTop = n - Math.ceil(0.99 * n) + 1;
  return `of ${n} samples the p99 is the ${fromTop === 1 ? 'largest' : `${fromTop}th largest`}`;
}

async function main() {
  const date = new Date();
  const scratch = scratchDir('parley-bench-mcp-');
  const machine = {
    ...machineAtStart(date),
    cpuPressureAtStart: cpuPressure(),
    cpuPressureAtEnd: null as number | null,
    scratch,
  };
  printHeading('Parley automation server (MCP) benchmark', machine);
  console.log(
    'Parley server in a child process on 127.0.0.1 (SQLite file; password hashing lowered and send rate limit raised for the benchmark). ' +
      'Automation servers as a person runs them (node --import tsx src/mcp/main.ts [--http]), SDK clients and a direct headless alice in this process.',
  );
  console.log(
    `Round trips: ${WARMUP_CALLS} warm-up + ${LIST_CALLS} list_friends and ping, ${SEND_CALLS} send_message on each path, ` +
      'sequential, in alternation with the same call made on the agent directly (what the tool calls). ' +
      `Wake-ups: ${WAKE_WARMUP} warm-up + ${WAKE_SAMPLES} on each path and directly, bob's send() ${WAIT_SETTLE_MS} ms after the wait began → the wait's answer here ` +
      `(${p99Rank(WAKE_SAMPLES)}).`,
  );
  console.log(`Database and data folders in ${scratch}.`);
  console.log(
    `Load average at start: ${machine.loadAverageAtStart.join(', ')} (${coreCount()} cores)${pressureNote(machine.cpuPressureAtStart)}.\n`,
  );

  const server = await startServe({
    setup: 'pair',
    dbPath: join(scratch, 'parley.db'),
    sendRate: SEND_RATE,
  });
  const baseUrl = `http://127.0.0.1:${server.ready.port}`;
  const phases: PhaseResult[] = [];
  try {
    for (const spec of PHASES) {
      if (ONLY.has(spec.key)) phases.push(await runPhase(spec, baseUrl, scratch));
    }
  } finally {
    progress('stopping the Parley server');
    await stopChild(server.child);
  }

  machine.loadAverageAtEnd = loadAverage();
  machine.cpuPressureAtEnd = cpuPressure();
  const table_ = rows(phases);
  console.log(table(table_));
  console.log('');
  console.log(
    'Overhead = the MCP round trip − the same call on the agent directly, measured in alternation in the same phase; ratio = MCP p50 / direct p50.',
  );
  for (const phase of phases) for (const line of details(phase)) console.log(line);
  const note = busyNote(
    machine,
    pressureNote(machine.cpuPressureAtEnd),
    ', so the latencies are noisier than on an idle machine',
  );
  if (note) console.log(`\n${note}`);
  else
    console.log(
      `\nLoad average at the end: ${machine.loadAverageAtEnd.join(', ')}${pressureNote(machine.cpuPressureAtEnd)}.`,
    );

  const settings = {
    warmupCalls: WARMUP_CALLS,
    listCalls: LIST_CALLS,
    sendCalls: SEND_CALLS,
    wakeSamples: WAKE_SAMPLES,
    wakeWarmup: WAKE_WARMUP,
    waitSettleMs: WAIT_SETTLE_MS,
    serverHashing: { algorithm: 'scrypt', ...SETUP_HASHING },
    sendRate: SEND_RATE,
  };
  const file = writeResults('mcp', date, toJson({ machine, settings, rows: table_, phases }));
  console.log(`\nResults written to ${file}`);
}

// Exiting tears down (bench/shared/teardown.ts): children killed, the scratch directory removed.
runBenchmark('bench/mcp/index.ts', main);
