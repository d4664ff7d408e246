/** bench:clients's knobs (environment), fixed settings and goals. */
import { flagFromEnv, intFromEnv } from '../shared/env';

function listFromEnv(name: string, fallback: number[]): number[] {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  return text.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 2 || n % 2 !== 0)
      throw new Error(`${name} must list even whole numbers ≥ 2, not "${text}".`);
    return n;
  });
}

export const SIZES = listFromEnv('BENCH_CLIENTS', [100, 500, 1000]);
export const MESSAGES = intFromEnv('BENCH_MESSAGES', 500);
export const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
export const RATE = intFromEnv('BENCH_RATE', 100);
export const SAMPLE_PAIRS = intFromEnv('BENCH_PAIRS', 100);
export const CONNECTIONS = intFromEnv('BENCH_CONNECTIONS', 1);
export const PROFILE = flagFromEnv('BENCH_PROFILE');
export const HEAP_SNAPSHOT = flagFromEnv('BENCH_HEAP_SNAPSHOT');
export const CLIENT_PROFILE = flagFromEnv('BENCH_CLIENT_PROFILE');
export const BREAKDOWN = flagFromEnv('BENCH_BREAKDOWN');

/** Messages sent before the measured ones (JIT, first requests on each socket); not counted. */
export const WARMUP_MESSAGES = 50;
/** Pairs signing up at the same time during setup. */
export const SETUP_CONCURRENCY = 25;
/** How long a message may take to show before it is counted missing. */
export const DELIVERY_GRACE_MS = 10_000;
/** After setup, before the heap is read: lets the first requests' garbage and timers settle. */
export const SETTLE_MS = 2000;

export const GOAL_HEAP_KB = 100;
export const GOAL_P99_MS = 50;

/** The largest N: the one profiled and snapshotted when asked. */
export const isLargest = (n: number) => n === Math.max(...SIZES);
