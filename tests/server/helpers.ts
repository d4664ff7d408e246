import { type AppDeps, createApp, type ParleyApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';
import type { Store } from '../../src/server/store/store';

let openDefaultStore: () => Promise<Store> = async () => openSqliteStore(':memory:');

/**
 * Changes the store `makeApp` opens when a test names none: the `server-pg` project runs the route suites
 * on PostgreSQL this way (tests/server/pg/routes-setup.ts).
 */
export function setDefaultStore(open: () => Promise<Store>): void {
  openDefaultStore = open;
}

/** A controllable clock: tests move time instead of waiting for it. */
export function testClock(start = 1_764_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/**
 * An app on a fresh database (SQLite in memory, unless setDefaultStore said otherwise), with cheap password
 * hashing and no background timers.
 */
export async function makeApp(overrides: Partial<AppDeps> = {}): Promise<ParleyApp> {
  return createApp({
    store: overrides.store ?? (await openDefaultStore()),
    hashing: { cost: 1024 },
    presenceSweepMs: 0,
    ...overrides,
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Registers a user and answers their token. */
export async function register(
  app: ParleyApp,
  username: string,
  password = 'correct horse',
): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/register', payload: { username, password } });
  if (res.statusCode !== 201) throw new Error(`register ${username}: ${res.statusCode} ${res.body}`);
  return res.json().token as string;
}

/** Makes two registered users friends. */
export async function befriend(app: ParleyApp, token: string, username: string): Promise<void> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/friends',
    headers: bearer(token),
    payload: { username },
  });
  if (res.statusCode !== 201) throw new Error(`befriend ${username}: ${res.statusCode} ${res.body}`);
}

export async function send(app: ParleyApp, token: string, to: string, content: string, clientId: string) {
  return app.inject({
    method: 'POST',
    url: '/api/messages',
    headers: bearer(token),
    payload: { to, content, clientId },
  });
}

/** Listens on a free loopback port and answers the base URL (`http://127.0.0.1:PORT`). */
export async function listen(app: ParleyApp): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the app is not listening on a port');
  return `http://127.0.0.1:${address.port}`;
}

/** The id of a registered user, from the store. */
export async function userId(app: ParleyApp, username: string): Promise<number> {
  const user = await app.parley.store.findUserByName(username);
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
}

/** Polls `condition` until it holds, failing with `what` after `timeoutMs`: for effects with no event to await. */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
