/** bench:mcp's knobs (environment), fixed settings and goals. */
import { flagFromEnv, intFromEnv } from '../shared/env';

/** The delivery paths an agent can use; each phase (index.ts) runs some of them beside the direct calls. */
export type Path = 'HTTP 2025' | 'HTTP 2026' | 'stdio 2025' | 'stdio 2026';
export const PATHS: Path[] = ['HTTP 2025', 'HTTP 2026', 'stdio 2025', 'stdio 2026'];

/** BENCH_ONLY: a comma-separated subset of http, stdio-2025, stdio-2026 (all by default). */
export const ONLY = new Set(
  (process.env.BENCH_ONLY ?? 'http,stdio-2025,stdio-2026').split(',').map((s) => s.trim()),
);

/** BENCH_PROFILE=1: CPU profiles of the automation servers, written as they exit, into bench/results/profiles. */
export const PROFILE = flagFromEnv('BENCH_PROFILE');

/** Calls of each operation on each path before the measured ones (JIT, first requests on each socket). */
export const WARMUP_CALLS = intFromEnv('BENCH_WARMUP', 50);
/** Measured `list_friends` (and `ping`) calls on each path and directly. */
export const LIST_CALLS = intFromEnv('BENCH_LIST_CALLS', 300);
/** Measured `send_message` calls on each path and directly. */
export const SEND_CALLS = intFromEnv('BENCH_SEND_CALLS', 200);
/** Measured `wait_for_messages` wake-ups on each path and directly, after WAKE_WARMUP. */
export const WAKE_SAMPLES = intFromEnv('BENCH_WAKE_SAMPLES', 40);
export const WAKE_WARMUP = 5;
/** From the `wait_for_messages` call to bob's send: enough for the call to be waiting in the server. */
export const WAIT_SETTLE_MS = 50;
/** The `timeoutSeconds` of each wait: far beyond a wake-up, so a timed-out one is a lost message. */
export const WAIT_TIMEOUT_SECONDS = 30;

/** The server's limit on sends per user, raised: sequential sends run at hundreds a second. */
export const SEND_RATE = { capacity: 100_000, perSecond: 100_000 };

export const GOAL_OVERHEAD_P50_MS = 2;
export const GOAL_WAKE_P99_MS = 50;
