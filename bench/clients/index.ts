// `npm run bench:clients`: a bounded, loopback-only benchmark of the headless client. Not a test.
//
// N headless clients (src/client: the real XState actor system over undici) run in THIS process, against the
// reference server in a child process (bench/serve/, setup `none`, SQLite :memory:), so the server's CPU
// and heap are not in this process's. For each N (100, 500, 1,000 by default), on a fresh server, size.ts
// signs up the clients in pairs and reads the heap per client, and latency.ts times paced messages between a
// sample of pairs. Then every client and the server stop (also on an error or a signal). Prints a table and
// writes bench/results/clients-<date>.json.
//
// The server hashes passwords with scrypt at a lowered cost (bench/serve/child.ts: { cost: 1024 }) so that
// 1,000 registrations take seconds; sign-up is setup and not measured.
//
// Knobs (environment): BENCH_CLIENTS (comma-separated even sizes, default 100,500,1000), BENCH_ROUNDS (3),
// BENCH_MESSAGES (a round, 500),
// BENCH_RATE (messages a second, 100), BENCH_PAIRS (sampled pairs, 100), BENCH_CONNECTIONS (sockets for calls
// per client, 1; the event stream has one of its own), BENCH_PROFILE=1 (CPU profile of the server child into
// bench/results/profiles), BENCH_CLIENT_PROFILE=1 (CPU profile of this process during the largest N's sends,
// ditto), BENCH_HEAP_SNAPSHOT=1 (heap snapshots of this process before and after the largest N, into
// bench/results; ids are stable, so the two diff well), BENCH_BREAKDOWN=1 (where each message's time goes;
// wraps every client's API, so that run's heap figure is not the client's alone).

import { SETUP_HASHING } from '../serve/child';
import { busyNote, coreCount, loadAverage, machineAtStart, printHeading } from '../shared/machine';
import { writeResults } from '../shared/results';
import { beforeTearDown, runBenchmark } from '../shared/teardown';
import { stopLiveClients } from './fleet';
import { gc } from './inspect';
import { details, table, whereTimeGoes } from './report';
import { CONNECTIONS, MESSAGES, RATE, ROUNDS, SAMPLE_PAIRS, SIZES, WARMUP_MESSAGES } from './settings';
import { runSize, type SizeResult } from './size';

if (!gc) {
  process.stderr.write(
    'bench/clients needs --expose-gc: npm run bench:clients, or node --expose-gc --import tsx bench/clients/index.ts\n',
  );
  process.exit(2);
}

async function main() {
  // Whatever happens to the clients on an error or a signal, leave within a second.
  beforeTearDown(stopLiveClients, 1000);
  const date = new Date();
  const machine = machineAtStart(date);
  const settings = {
    sizes: SIZES,
    rounds: ROUNDS,
    messagesPerRound: MESSAGES,
    warmupMessages: WARMUP_MESSAGES,
    ratePerSecond: RATE,
    sampledPairs: SAMPLE_PAIRS,
    connectionsPerClient: CONNECTIONS,
    batchMs: 0,
    serverHashing: { algorithm: 'scrypt', ...SETUP_HASHING },
    serverStore: 'sqlite :memory:',
  };
  printHeading('Parley client benchmark', machine);
  console.log(
    `Clients in this process (XState actor system over undici; sockets per client: 1 for the event stream, ${CONNECTIONS} for calls); server in a child process on 127.0.0.1 (SQLite :memory:).`,
  );
  console.log(
    'Password hashing on the server lowered to scrypt cost 1,024 so sign-up is quick (setup, not measured).',
  );
  console.log(
    `Latency: ${ROUNDS} rounds of ${MESSAGES} messages (after ${WARMUP_MESSAGES} warm-up) at ${RATE}/s between up to ${SAMPLE_PAIRS} pairs, from just before send() to the recipient's conversation snapshot showing it; p50/p99 are medians of the rounds'.`,
  );
  console.log(`Load average at start: ${machine.loadAverageAtStart.join(', ')} (${coreCount()} cores).\n`);

  const results: SizeResult[] = [];
  for (const n of SIZES) results.push(await runSize(n));

  machine.loadAverageAtEnd = loadAverage();
  console.log(table(results));
  console.log('');
  console.log('KB = 1,000 bytes. Heap/client: V8 heapUsed after gc, (settled N clients − before) / N.');
  for (const r of results) console.log(details(r));
  for (const r of results) {
    const line = whereTimeGoes(r);
    if (line) console.log(line);
  }
  const note = busyNote(machine);
  if (note) console.log(note);

  const file = writeResults('clients', date, `${JSON.stringify({ machine, settings, results }, null, 2)}\n`);
  console.log(`\nResults written to ${file}`);
}

runBenchmark('bench/clients/index.ts', main);
