/**
 * Reconnect back-off: 1, 2, 4 … seconds, capped at 30 s, each spread by ±20 % so that many clients cut
 * off together do not come back in step. The randomness is a seeded generator kept in context, so the
 * machines stay pure and a test (or a replayed trace) sees the same waits.
 */
export const BACKOFF_CAP_MS = 30_000;

/** mulberry32: one step of a small, fast, seedable generator; answers a number in [0, 1) and the next seed. */
export function nextRandom(seed: number): [number, number] {
  const next = (seed + 0x6d2b79f5) | 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next];
}

/** The wait before try `failures + 1`, with `jitter` in [0, 1) (0.5 = no spread). */
export function backoffDelay(failures: number, jitter: number): number {
  const base = Math.min(1000 * 2 ** Math.max(0, failures - 1), BACKOFF_CAP_MS);
  return Math.min(BACKOFF_CAP_MS, Math.round(base * (0.8 + 0.4 * jitter)));
}
