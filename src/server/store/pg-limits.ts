import type { Sql } from 'postgres';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiter, SharedLimits } from '../rateLimit';

/**
 * The rate limits that every instance on one PostgreSQL database shares: rate-limiter-flexible's
 * `RateLimiterPostgres`, one row per key in `rate_limits` (made by the migrations, in the library's layout),
 * changed by one atomic upsert per take. So 40 sends through one instance leave none for the same user
 * through another.
 *
 * The library supports node-postgres, Knex, Sequelize and TypeORM as clients, not postgres.js. Its default
 * client type calls `client.query({ text, values })` and reads `rows` and `rowCount` (node-postgres's
 * shape); the adapter below answers that from the store's own postgres.js pool, so there is no second
 * PostgreSQL client and the library's own statements run unchanged.
 *
 * The library's limits are fixed windows (`points` per `duration`, the window starting at a key's first
 * take), timed by the wall clock (`Date.now()`):
 * - Sends, a token bucket in memory (40, refilled at 20/s), become 40 per 2 s: the same burst from rest
 *   (40 at once) and the same sustained rate (20/s, 40 per window of 2 s). Where a window ends, a user
 *   who waited may send a new 40 right after the old window's last ones, as a bucket would not (at most 80
 *   in a moment, still 20/s over any longer stretch). `BurstyRateLimiter` (20 per 1 s plus a burst of 20
 *   per 2 s) would refuse no burst the bucket allows either, but lets 30/s through indefinitely, which the
 *   bucket never does.
 * - Failed logins, a sliding minute in memory, become 10 per minute from the first failure: the 11th within
 *   that minute is refused; across a window's end up to 19 may fall inside one minute (as a token bucket
 *   of 10 a minute would allow), still 10 a minute on average.
 */
export function createPgLimits(sql: Sql): SharedLimits & { sweep(): Promise<void> } {
  const client = {
    query: async ({ text, values }: { text: string; values?: unknown[] }) => {
      const rows = await sql.unsafe(text, (values ?? []) as never[]);
      return { rows, rowCount: rows.count };
    },
  };

  const limiter = (keyPrefix: string, points: number, durationSeconds: number): RateLimiter => {
    const store = new RateLimiterPostgres({
      storeClient: client,
      storeType: 'client',
      tableName: 'rate_limits',
      tableCreated: true,
      // Expired rows are swept by the store (below), on a timer it stops when it closes.
      clearExpiredByTimeout: false,
      keyPrefix,
      points,
      duration: durationSeconds,
    });
    const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
    return {
      async take(key) {
        try {
          await store.consume(String(key));
          return 0;
        } catch (refusal) {
          if (refusal instanceof RateLimiterRes) return seconds(refusal.msBeforeNext);
          throw refusal;
        }
      },
      async peek(key) {
        const used = await store.get(String(key));
        return used && used.consumedPoints >= points ? seconds(used.msBeforeNext) : 0;
      },
    };
  };

  return {
    sends: ({ capacity, perSecond }) => limiter('send', capacity, capacity / perSecond),
    failedLogins: ({ limit, windowMs }) => limiter('login', limit, windowMs / 1000),
    async sweep() {
      await sql`DELETE FROM rate_limits WHERE expire < ${Date.now()}`;
    },
  };
}
