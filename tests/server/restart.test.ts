/**
 * A restart on the same database file: accounts, tokens, friendships, messages and their flags survive,
 * and message ids keep growing. Presence and the event hub are per process and are not expected to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { bearer, befriend, makeApp, register, send } from './helpers';

let dir: string;
let path: string;
const apps: ParleyApp[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
  path = join(dir, 'nested', 'parley.db');
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function boot(): Promise<ParleyApp> {
  const app = await makeApp({ store: openSqliteStore(path) });
  apps.push(app);
  return app;
}

/** Closes an app (and so its database) as a stopping server does. */
async function stop(app: ParleyApp) {
  apps.splice(apps.indexOf(app), 1);
  await app.close();
}

const get = (app: ParleyApp, url: string, token: string) =>
  app.inject({ method: 'GET', url, headers: bearer(token) });

describe('a restart on the same database file', () => {
  it('keeps accounts, tokens, friendships, messages and delivered flags, and new ids grow past the old ones', async () => {
    const first = await boot();
    const alice = await register(first, 'alice', 'alice password');
    const bob = await register(first, 'bob', 'bob password');
    await register(first, 'carol', 'carol password');
    await befriend(first, alice, 'bob');
    const m1 = (await send(first, alice, 'bob', 'first', 'a-1')).json();
    const m2 = (await send(first, alice, 'bob', 'second', 'a-2')).json();
    expect(m1.delivered).toBe(false);
    // Bob reads: alice's two messages become delivered.
    const read = await get(first, '/api/messages?peer=alice', bob);
    expect(read.json()).toMatchObject([
      { id: m1.id, delivered: true },
      { id: m2.id, delivered: true },
    ]);
    // Bob answers; alice has not read it, so it stays undelivered and unread.
    const m3 = (await send(first, bob, 'alice', 'reply', 'b-1')).json();
    expect(m3.delivered).toBe(false);
    await stop(first);

    const second = await boot();
    // The old password logs in, a wrong one still does not.
    const login = await second.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: 'alice', password: 'alice password' },
    });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({ success: true, username: 'alice' });
    const wrong = await second.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: 'alice', password: 'bob password' },
    });
    expect(wrong.statusCode).toBe(401);
    // The name stays taken.
    const again = await second.inject({
      method: 'POST',
      url: '/api/register',
      payload: { username: 'carol', password: 'another password' },
    });
    expect(again.statusCode).toBe(409);

    // Tokens issued before the restart still work.
    const status = await get(second, '/api/status', bob);
    expect(status.json().user).toBe('bob');

    // Friendships, unread counts and the last message of each conversation survive.
    const friends = await get(second, '/api/friends', alice);
    expect(friends.statusCode).toBe(200);
    expect(friends.json()).toMatchObject([{ username: 'bob', unread: 1, lastMessageId: m3.id }]);
    expect((await get(second, '/api/friends', bob)).json()).toMatchObject([{ username: 'alice', unread: 0 }]);

    // Messages with their content, client ids and delivered flags, from bob's side first (bob's read
    // marks nothing new: alice's messages are already delivered, and his own reply is not his to mark).
    const bobView = await get(second, '/api/messages?peer=alice', bob);
    expect(bobView.json()).toEqual([
      {
        id: m1.id,
        direction: 'received',
        peer: 'alice',
        content: 'first',
        timestamp: m1.timestamp,
        delivered: true,
        clientId: 'a-1',
      },
      {
        id: m2.id,
        direction: 'received',
        peer: 'alice',
        content: 'second',
        timestamp: m2.timestamp,
        delivered: true,
        clientId: 'a-2',
      },
      {
        id: m3.id,
        direction: 'sent',
        peer: 'alice',
        content: 'reply',
        timestamp: m3.timestamp,
        delivered: false,
        clientId: 'b-1',
      },
    ]);

    // The idempotency of sends survives too: an old clientId is answered with the old message.
    const retry = await send(second, alice, 'bob', 'first', 'a-1');
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ id: m1.id, timestamp: m1.timestamp, delivered: true });

    // A new message gets an id greater than every old one.
    const m4 = await send(second, alice, 'bob', 'after the restart', 'a-3');
    expect(m4.statusCode).toBe(201);
    expect(m4.json().id).toBeGreaterThan(Math.max(m1.id, m2.id, m3.id));
  });

  it('keeps a token revoked by logout revoked', async () => {
    const first = await boot();
    const alice = await register(first, 'alice');
    const out = await first.inject({ method: 'POST', url: '/api/logout', headers: bearer(alice) });
    expect(out.statusCode).toBe(204);
    await stop(first);

    const second = await boot();
    expect((await get(second, '/api/friends', alice)).statusCode).toBe(401);
  });

  it('keeps ids growing after the newest messages are deleted from the file', async () => {
    const first = await boot();
    const alice = await register(first, 'alice');
    await register(first, 'bob');
    await befriend(first, alice, 'bob');
    const old = (await send(first, alice, 'bob', 'to be removed', 'x-1')).json();
    await stop(first);

    // An operator removes the newest message by hand between runs.
    const db = new Database(path);
    db.prepare('DELETE FROM messages WHERE id = ?').run(old.id);
    db.close();

    const second = await boot();
    const fresh = await send(second, alice, 'bob', 'new', 'x-2');
    expect(fresh.statusCode).toBe(201);
    expect(fresh.json().id).toBeGreaterThan(old.id);
  });

  it('refuses a second server on the same file with a clear error, and the first goes on working', async () => {
    const first = await boot();
    const alice = await register(first, 'alice');
    expect(() => openSqliteStore(path)).toThrow(/in use by another process/);
    // A reader that asks to share the file is refused too while the server holds it.
    expect(() =>
      new Database(path, { readonly: true, timeout: 0 }).prepare('SELECT 1 FROM users').get(),
    ).toThrow(/locked/);
    expect((await get(first, '/api/friends', alice)).statusCode).toBe(200);
    await stop(first);
    // Once the server has stopped, the file is free again.
    const second = await boot();
    expect((await get(second, '/api/friends', alice)).statusCode).toBe(200);
  }, 20_000);

  it('never takes an ETag from before a restart for one after it', async () => {
    const first = await boot();
    const alice = await register(first, 'alice');
    const bob = await register(first, 'bob');
    await befriend(first, alice, 'bob');
    await send(first, bob, 'alice', 'one', 'b-1');
    const before = await get(first, '/api/messages?peer=bob', alice);
    const etag = before.headers.etag as string;
    await stop(first);

    // The new process counts conversation versions afresh: two more messages bring its count to where the
    // old one stopped (a send, a read), yet the old tag must not match the new content.
    const second = await boot();
    await send(second, bob, 'alice', 'two', 'b-2');
    await send(second, bob, 'alice', 'three', 'b-3');
    const after = await second.inject({
      url: '/api/messages?peer=bob',
      headers: { ...bearer(alice), 'if-none-match': etag },
    });
    expect(after.statusCode).toBe(200);
    expect(after.json().map((m: { content: string }) => m.content)).toEqual(['one', 'two', 'three']);
  });
});
