import type { HashingOptions } from './credentials';
import type { Hub } from './hub';
import type { Presence } from './presence';
import type { RateLimiter } from './rateLimit';
import type { Store } from './store/store';

/** What every route module is handed: the app's dependencies, already built. */
export interface ServerContext {
  store: Store;
  hub: Hub;
  presence: Presence;
  now: () => number;
  version: string;
  hashing: HashingOptions;
  sendLimiter: RateLimiter;
  loginLimiter: RateLimiter;
  keepAliveMs: number;
  /** Checks a token's secret against its stored hash (see createSecretCheck). */
  secretCheck: (tokenId: string, secret: string, stored: Buffer) => boolean;
}

export interface AuthUser {
  id: number;
  username: string;
  tokenId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthUser | null;
  }
}
