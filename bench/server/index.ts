// `npm run bench:server`: the reference server under load, each scenario on a fresh server in a child
// process (bench/serve/), medians of rounds after a warm-up. Not a test.
// Scenarios (BENCH_ONLY, comma-separated; all by default): poll (poll.ts), sends (sends.ts), fanout
// (fanout.ts), fanout-many (fanout-many.ts). Knobs (environment): BENCH_ROUNDS (5), BENCH_SECONDS (5),
// BENCH_WARMUP_SECONDS (2), BENCH_PROFILE=1 (CPU profiles of the servers into bench/results/profiles),
// BENCH_DB_DIR (parent of the SQLite temp dir). Prints a table and writes bench/results/server-<date>.json.
import { dirname } from 'node:path';
import { markdownTable, progress } from '../shared/format';
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
import { runBenchmark } from '../shared/teardown';
import { scenarioFanout } from './fanout';
import { scenarioFanoutMany } from './fanout-many';
import { databaseDir } from './parley';
import { scenarioPoll } from './poll';
import { scenarioSends } from './sends';
import { CONNECTIONS, ONLY, type Outcome, ROUND_SECONDS, ROUNDS, type Row, WARMUP_SECONDS } from './settings';

const SCENARIOS: [string, () => Promise<Outcome>][] = [
  ['poll', scenarioPoll],
  ['sends', scenarioSends],
  ['fanout', scenarioFanout],
  ['fanout-many', scenarioFanoutMany],
];

function table(rows: Row[]): string {
  const header = ['Scenario', 'Median figure', 'Baseline', 'Ratio', 'Goal', 'Result'];
  const cells = rows.map((r) => [
    r.scenario,
    r.figure,
    r.baseline,
    r.ratio,
    r.goal,
    r.pass ? 'PASS' : 'FAIL',
  ]);
  return markdownTable(header, cells);
}

async function main() {
  const date = new Date();
  const dbDir = dirname(databaseDir());
  const machine = {
    ...machineAtStart(date),
    cpuPressureAtStart: cpuPressure(),
    cpuPressureAtEnd: null as number | null,
    dbDir,
  };
  printHeading('Parley server benchmark', machine);
  console.log(
    `Servers in child processes on 127.0.0.1; ${ROUNDS} rounds of ${ROUND_SECONDS} s after a ${WARMUP_SECONDS} s warm-up, medians; autocannon ${CONNECTIONS} connections, pipelining 1.`,
  );
  console.log(
    `SQLite (WAL) file in a temp dir under ${dbDir}; password hashing cost lowered for account setup (not measured).`,
  );
  console.log(
    `Load average at start: ${machine.loadAverageAtStart.join(', ')} (${coreCount()} cores)${pressureNote(machine.cpuPressureAtStart)}.\n`,
  );

  const rows: Row[] = [];
  const data: Record<string, object> = {};
  for (const [name, run] of SCENARIOS) {
    if (!ONLY.has(name)) continue;
    progress(`scenario ${name}…`);
    const result = await run();
    rows.push(result.row);
    data[name] = result.data;
  }

  machine.loadAverageAtEnd = loadAverage();
  machine.cpuPressureAtEnd = cpuPressure();
  console.log(table(rows));
  console.log('');
  const note = busyNote(
    machine,
    pressureNote(machine.cpuPressureAtEnd),
    ', so throughput is lower and latency noisier than on an idle machine',
  );
  if (note) console.log(`${note}\n`);
  for (const row of rows) {
    console.log(`${row.scenario}:`);
    for (const note of row.notes) console.log(`  - ${note}`);
  }

  const settings = {
    rounds: ROUNDS,
    roundSeconds: ROUND_SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    connections: CONNECTIONS,
  };
  const file = writeResults('server', date, toJson({ machine, settings, rows, scenarios: data }));
  console.log(`\nResults written to ${file}`);
}

// Exiting tears down (bench/shared/teardown.ts): children killed, the scratch directory removed.
runBenchmark('bench/server/index.ts', main);
