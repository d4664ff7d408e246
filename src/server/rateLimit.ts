import type { Awaitable } from './awaitable';

/**
 * A rate limit keyed by user or name. `take` spends one and answers 0, or answers the seconds to wait (for
 * `Retry-After`). The in-memory limiters below answer at once; the ones PostgreSQL keeps for several
 * instances (store/pg-limits.ts) answer with promises.
 */
export interface RateLimiter {
  take(key: string | number): Awaitable<number>;
  /** The seconds to wait before `take` could succeed, without spending. */
  peek(key: string | number): Awaitable<number>;
}

/** A limiter kept in this process: it answers without a promise. */
export interface MemoryRateLimiter extends RateLimiter {
  take(key: string | number): number;
  peek(key: string | number): number;
}

/** Limits that a store shared by several instances keeps for all of them (see store/pg-limits.ts). */
export interface SharedLimits {
  /** Sends per user: a burst of `capacity`, `perSecond` on average (see pg-limits.ts for how closely). */
  sends(opts: { capacity: number; perSecond: number }): RateLimiter;
  /** Failed logins per username: at most `limit` in a window of `windowMs`. */
  failedLogins(opts: { limit: number; windowMs: number }): RateLimiter;
}

/**
 * Token buckets: `capacity` tokens, refilled at `perSecond`. A refused `take` spends nothing.
 */

export function createRateLimiter(opts: {
  capacity: number;
  perSecond: number;
  now: () => number;
}): MemoryRateLimiter {
  const buckets = new Map<string | number, { tokens: number; at: number }>();
  const fullAfterMs = (opts.capacity / opts.perSecond) * 1000;

  const level = (key: string | number, at: number) => {
    const bucket = buckets.get(key);
    if (!bucket) return opts.capacity;
    return Math.min(opts.capacity, bucket.tokens + ((at - bucket.at) / 1000) * opts.perSecond);
  };
  const wait = (tokens: number) => Math.max(1, Math.ceil((1 - tokens) / opts.perSecond));

  const forgetFullBuckets = (at: number) => {
    for (const [key, bucket] of buckets) if (at - bucket.at >= fullAfterMs) buckets.delete(key);
  };

  return {
    take(key) {
      const at = opts.now();
      const tokens = level(key, at);
      if (tokens < 1) return wait(tokens);
      if (buckets.size > 10_000) forgetFullBuckets(at);
      buckets.set(key, { tokens: tokens - 1, at });
      return 0;
    },
    peek(key) {
      const tokens = level(key, opts.now());
      return tokens < 1 ? wait(tokens) : 0;
    },
  };
}

/**
 * At most `limit` takes per key in any `windowMs` (a sliding log). "10 failed logins a minute" means no
 * minute ever holds an 11th, which a token bucket of 10 refilling at 10 a minute would allow (up to 19).
 */
export function createWindowLimiter(opts: {
  limit: number;
  windowMs: number;
  now: () => number;
}): MemoryRateLimiter {
  const logs = new Map<string | number, number[]>();

  /** The key's takes still inside the window, oldest first (at most `limit` of them). */
  const recent = (key: string | number, at: number): number[] => {
    const log = logs.get(key) ?? [];
    while (log.length > 0 && at - (log[0] as number) >= opts.windowMs) log.shift();
    if (log.length === 0) logs.delete(key);
    return log;
  };
  const wait = (log: number[], at: number) =>
    log.length < opts.limit ? 0 : Math.max(1, Math.ceil(((log[0] as number) + opts.windowMs - at) / 1000));

  return {
    take(key) {
      const at = opts.now();
      const log = recent(key, at);
      const seconds = wait(log, at);
      if (seconds > 0) return seconds;
      if (logs.size > 10_000) for (const other of [...logs.keys()]) recent(other, at);
      log.push(at);
      logs.set(key, log);
      return 0;
    },
    peek(key) {
      const at = opts.now();
      return wait(recent(key, at), at);
    },
  };
}
