/** bench:server's knobs (environment) and fixed settings, and what each scenario hands back. */
import { flagFromEnv, intFromEnv } from '../shared/env';

export const ROUNDS = intFromEnv('BENCH_ROUNDS', 5);
export const ROUND_SECONDS = intFromEnv('BENCH_SECONDS', 5);
export const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP_SECONDS', 2);
export const ONLY = new Set(
  (process.env.BENCH_ONLY ?? 'poll,sends,fanout,fanout-many').split(',').map((s) => s.trim()),
);
export const PROFILE = flagFromEnv('BENCH_PROFILE');

/** autocannon's connections, for the poll and the sends (and bench:compare). */
export const CONNECTIONS = 50;

/** A scenario's row of the table, with the notes printed under it. */
export interface Row {
  scenario: string;
  figure: string;
  baseline: string;
  ratio: string;
  goal: string;
  pass: boolean;
  notes: string[];
}

/** A scenario's row and what goes into the results file. */
export interface Outcome {
  row: Row;
  data: object;
}
