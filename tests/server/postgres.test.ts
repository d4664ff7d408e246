/**
 * What the PostgreSQL store adds over the contract both stores keep (store-contract.test.ts): several
 * instances on one database. Migrations run once however many start at once; a poll never skips a message
 * that commits after it with a smaller id; a send through one instance changes the ETag that every other
 * one answers; a logout through one is refused by all within a second; the send and failed-login limits
 * count what went through every instance.
 */
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppDeps, ParleyApp } from '../../src/server/app';
import { migratePostgres, PG_MIGRATIONS } from '../../src/server/store/pg-migrations';
import { openPostgresStore } from '../../src/server/store/postgres';
import type { Store } from '../../src/server/store/store';
import { expectError, postJson } from './contract-helpers';
import { bearer, befriend, makeApp, register, send } from './helpers';
import { testPostgres } from './pg/stores';

const pg = testPostgres();
const T0 = 1_764_000_000_000;

const stores: Store[] = [];
const apps: ParleyApp[] = [];
const clients: postgres.Sql[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(clients.splice(0).map((sql) => sql.end({ timeout: 1 })));
});

async function openStore(url: string, max = 4): Promise<Store> {
  const store = await openPostgresStore(url, { max });
  stores.push(store);
  return store;
}

/** A plain client on the database, to look at what the stores wrote. */
function client(url: string): postgres.Sql {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  clients.push(sql);
  return sql;
}

/** A whole server on the database, as one of several instances (its own hub, presence and caches). */
async function instance(url: string, deps: Partial<AppDeps> = {}): Promise<ParleyApp> {
  const app = await makeApp({ ...deps, store: await openPostgresStore(url, { max: 4 }) });
  apps.push(app);
  return app;
}

describe('migrations', () => {
  it('run once when three stores open the same empty database at once, and all three work', async () => {
    const url = await pg.createDatabase();
    const [a, b, c] = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    const rows = await client(url)<
      { version: number }[]
    >`SELECT version FROM schema_migrations ORDER BY version`;
    expect(rows.map((row) => row.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));

    const alice = (await a!.createUser('alice', 'h', T0))!;
    const bob = (await b!.createUser('bob', 'h', T0))!;
    await c!.addFriendship(alice.id, bob.id, T0);
    await a!.insertMessage({
      senderId: bob.id,
      recipientId: alice.id,
      content: 'hi',
      clientId: 'c-1',
      timestamp: T0,
      delivered: false,
    });
    expect(await c!.areFriends(bob.id, alice.id)).toBe(true);
    expect((await b!.readMessages(alice.id, bob.id, { limit: 10 })).messages).toMatchObject([
      { content: 'hi' },
    ]);
  });

  it('are applied by exactly one of several starts at once; the others find them done', async () => {
    const url = await pg.createDatabase();
    const runs = await Promise.all(
      [client(url), client(url), client(url)].map((sql) => migratePostgres(sql)),
    );
    const all = PG_MIGRATIONS.map((_, i) => i + 1);
    expect(runs.filter((applied) => applied.length > 0)).toEqual([all]);
    expect(runs.filter((applied) => applied.length === 0)).toHaveLength(2);
  });

  it('apply only the new steps to a database that has the older ones, keeping its data', async () => {
    const url = await pg.createDatabase();
    const sql = client(url);
    const next = [...PG_MIGRATIONS, 'CREATE TABLE later_step (n integer)'];
    expect(await migratePostgres(sql)).toHaveLength(PG_MIGRATIONS.length);
    await sql`INSERT INTO users (username, password_hash, created_at) VALUES ('alice', 'h', 1)`;
    expect(await migratePostgres(sql, next)).toEqual([next.length]);
    expect(await migratePostgres(sql, next)).toEqual([]);
    expect(await sql`SELECT username FROM users`).toEqual([{ username: 'alice' }]);
  });

  it('refuse to start on a database with a newer schema than this server knows, saying so', async () => {
    const url = await pg.createDatabase();
    await migratePostgres(client(url), [...PG_MIGRATIONS, 'SELECT 1']);
    await expect(openPostgresStore(url)).rejects.toThrow(
      `The database is at schema version ${PG_MIGRATIONS.length + 1}, newer than this server (${PG_MIGRATIONS.length}); refusing to start.`,
    );
  });
});

describe('message ids', () => {
  it('never let a poll after the last id seen skip a message, with many concurrent sends into one conversation', async () => {
    const url = await pg.createDatabase();
    const instances = await Promise.all([openStore(url, 6), openStore(url, 6), openStore(url, 6)]);
    const [first] = instances as [Store, ...Store[]];
    const alice = (await first.createUser('alice', 'h', T0))!.id;
    const bob = (await first.createUser('bob', 'h', T0))!.id;
    await first.addFriendship(alice, bob, T0);

    const PER_WRITER = 25;
    let writing = true;
    const sentIds: number[] = [];
    // Five writers on each of the three instances, both directions, each sending one message at a time.
    const writers = instances.flatMap((store, s) =>
      Array.from({ length: 5 }, async (_, w) => {
        for (let i = 0; i < PER_WRITER; i++) {
          const from = (s + w + i) % 2 ? alice : bob;
          const { message } = await store.insertMessage({
            senderId: from,
            recipientId: from === alice ? bob : alice,
            content: `${s}.${w}.${i}`,
            clientId: `${s}.${w}.${i}`,
            timestamp: T0 + i,
            delivered: false,
          });
          sentIds.push(message.id);
        }
      }),
    );
    // A poller on each instance (alice, bob, alice), each asking only for what comes after its last id.
    const pollers = instances.map(async (store, s) => {
      const [me, peer] = s % 2 ? [bob, alice] : [alice, bob];
      const seen: number[] = [];
      let cursor = 0;
      const poll = async () => {
        const page = await store.readMessages(me, peer, { after: cursor, limit: 500 });
        for (const m of page.messages) seen.push(m.id);
        cursor = seen.at(-1) ?? cursor;
      };
      while (writing) await poll();
      await poll();
      return seen;
    });
    await Promise.all(writers);
    writing = false;
    const seenByPoller = await Promise.all(pollers);

    const all = [...sentIds].sort((x, y) => x - y);
    expect(new Set(all).size).toBe(15 * PER_WRITER);
    for (const seen of seenByPoller) expect(seen).toEqual(all);
  });

  it('grow across the whole server, whichever conversation and instance a message goes through', async () => {
    const url = await pg.createDatabase();
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    const ids = [];
    const users = [];
    for (const name of ['alice', 'bob', 'carol']) users.push((await a!.createUser(name, 'h', T0))!.id);
    const [alice, bob, carol] = users as [number, number, number];
    for (let i = 0; i < 6; i++) {
      const store = i % 2 ? a! : b!;
      const [from, to] = i % 3 === 0 ? [alice, bob] : i % 3 === 1 ? [bob, carol] : [carol, alice];
      const sent = await store.insertMessage({
        senderId: from,
        recipientId: to,
        content: 'x',
        clientId: `c-${i}`,
        timestamp: T0,
        delivered: false,
      });
      ids.push(sent.message.id);
    }
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('several instances on one database', () => {
  it('see the same conversation version at once: a send through one changes what another answers', async () => {
    const url = await pg.createDatabase();
    const [a, b] = await Promise.all([openStore(url), openStore(url)]);
    const alice = (await a!.createUser('alice', 'h', T0))!.id;
    const bob = (await a!.createUser('bob', 'h', T0))!.id;
    await a!.addFriendship(alice, bob, T0);
    const before = await b!.conversationVersion(alice, bob);
    expect(await a!.conversationVersion(alice, bob)).toBe(before);
    await a!.insertMessage({
      senderId: alice,
      recipientId: bob,
      content: 'hi',
      clientId: 'c-1',
      timestamp: T0,
      delivered: false,
    });
    const afterSend = await b!.conversationVersion(bob, alice);
    expect(afterSend).not.toBe(before);
    expect(await a!.conversationVersion(alice, bob)).toBe(afterSend);
    // Bob reads through b: the delivery changes the version a answers.
    await b!.readMessages(bob, alice, { limit: 10 });
    expect(await a!.conversationVersion(alice, bob)).not.toBe(afterSend);
  });

  it('answer a conditional poll with the new message as soon as it was sent through another instance', async () => {
    const url = await pg.createDatabase();
    const [one, two] = await Promise.all([instance(url), instance(url)]);
    const alice = await register(one!, 'alice');
    const bob = await register(two!, 'bob');
    await befriend(one!, alice, 'bob');
    const poll = (etag?: string) =>
      two!.inject({
        method: 'GET',
        url: '/api/messages?peer=bob',
        headers: { ...bearer(alice), ...(etag ? { 'if-none-match': etag } : {}) },
      });
    const first = await poll();
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect((await poll(etag)).statusCode).toBe(304);

    expect((await send(one!, bob, 'alice', 'through one', 'c-1')).statusCode).toBe(201);
    const after = await poll(etag);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject([{ content: 'through one', direction: 'received', delivered: true }]);
    expect(after.headers.etag).not.toBe(etag);
  });

  it('refuse a token within a second of its logout through another instance, though they had it cached', async () => {
    const url = await pg.createDatabase();
    const [one, two] = await Promise.all([instance(url), instance(url)]);
    const token = await register(one!, 'alice');
    const friends = () => two!.inject({ method: 'GET', url: '/api/friends', headers: bearer(token) });
    expect((await friends()).statusCode).toBe(200);
    expect((await friends()).statusCode).toBe(200);

    const logout = await one!.inject({ method: 'POST', url: '/api/logout', headers: bearer(token) });
    expect(logout.statusCode).toBe(204);
    const loggedOutAt = Date.now();
    let refusedAt: number | undefined;
    while (refusedAt === undefined && Date.now() - loggedOutAt < 3000) {
      if ((await friends()).statusCode === 401) refusedAt = Date.now();
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(refusedAt, 'the other instance still accepted the token 3 s after the logout').toBeDefined();
    expect(refusedAt! - loggedOutAt).toBeLessThanOrEqual(1000);
  });
});

describe('rate limits shared by several instances', () => {
  it('refuse sends through a second instance once a user spent the burst of 40 through the first', async () => {
    // The burst is the default 40; it refills at 1 send in 25 s here, so that a slow machine taking a
    // while over the 40 cannot refill it before the sends through the second instance.
    const sendRate = { capacity: 40, perSecond: 0.04 };
    const url = await pg.createDatabase();
    const [one, two] = await Promise.all([instance(url, { sendRate }), instance(url, { sendRate })]);
    const alice = await register(one!, 'alice');
    const bob = await register(two!, 'bob');
    await befriend(one!, alice, 'bob');
    for (let i = 0; i < 40; i++)
      expect((await send(one!, alice, 'bob', `m${i}`, `c-${i}`)).statusCode).toBe(201);

    const limited = await send(two!, alice, 'bob', 'through two', 'c-40');
    expectError(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expectError(await send(two!, alice, 'bob', 'again', 'c-41'), 429, 'rate_limited');
    expectError(await send(one!, alice, 'bob', 'and here', 'c-42'), 429, 'rate_limited');
    // Per user: bob, who sent nothing, still sends through either.
    expect((await send(two!, bob, 'alice', 'hi', 'b-1')).statusCode).toBe(201);
    expect((await send(one!, bob, 'alice', 'hi', 'b-2')).statusCode).toBe(201);
  });

  it('refuse the 11th failed login for a username within a minute, however the 10 were split over two instances', async () => {
    const url = await pg.createDatabase();
    const [one, two] = await Promise.all([instance(url), instance(url)]);
    await register(one!, 'alice');
    const login = (app: ParleyApp, password: string) =>
      postJson(app, '/api/login', { username: 'alice', password });
    for (let i = 0; i < 10; i++) {
      expectError(await login(i % 2 === 0 ? one! : two!, `wrong horse ${i}`), 401, 'unauthorized');
    }
    const limited = await login(one!, 'wrong horse again');
    expectError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expectError(await login(two!, 'correct horse'), 429, 'rate_limited');
  });
});
