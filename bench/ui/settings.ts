/** bench:ui's knobs (environment), fixed settings and goals. */
import { join } from 'node:path';
import { flagFromEnv, intFromEnv } from '../shared/env';
import { ROOT } from '../shared/results';

export const OPEN_ROUNDS = intFromEnv('BENCH_OPEN_ROUNDS', 5);
export const BURST_ROUNDS = intFromEnv('BENCH_BURST_ROUNDS', 1);
export const MESSAGES = intFromEnv('BENCH_MESSAGES', 10_000);
export const TRACE = flagFromEnv('BENCH_TRACE');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const BURST_RATE = 50;
export const BURST_SECONDS = 10;
export const TYPE_EVERY_MS = 100;
/** After the click on a friend, Parley waits this long for the choice to settle (machines/selectionMachine.ts). */
export const SELECTION_DEBOUNCE_MS = 300;
/** Long tasks this long after the newest message was shown still count as part of opening. */
export const OPEN_SETTLE_MS = 500;
/** After the burst's last send: time for the last messages (and the baseline's last rebuild) to land. */
export const BURST_TAIL_MS = 2500;
export const BASELINE_REFETCH_MS = 2000;
/** How long the last burst message may take to appear before the burst counts as not shown. */
export const CATCH_UP_LIMIT_MS = 15_000;
export const API_PAGE_MAX = 500;
export const VIEWPORT = { width: 1280, height: 800 };

export const GOALS = { showMs: 150, longTasks: 0, nodes: 200, typingMs: 100 };

/** The production build, served by the server child. */
export const DIST = join(ROOT, 'dist');
