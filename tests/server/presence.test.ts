import { describe, expect, it } from 'vitest';
import type { ParleyApp } from '../../src/server/app';
import { friendsOf, getAuthed, recordingSink, userIdOf } from './contract-helpers';
import { bearer, befriend, makeApp, register, testClock } from './helpers';

const WINDOW = 25_000;

/** alice and bob, friends, with bob's registration long enough ago that a sweep has taken him offline. */
async function offlineBob() {
  const clock = testClock();
  const app = await makeApp({ now: clock.now });
  const alice = await register(app, 'alice');
  const bob = await register(app, 'bob');
  const bobRegisteredAt = clock.now();
  await befriend(app, alice, 'bob');
  clock.advance(WINDOW + 5000);
  await app.parley.presence.sweep();
  return { clock, app, alice, bob, bobRegisteredAt };
}

const bobAsAliceSeesHim = async (app: ParleyApp, alice: string) => {
  const res = await getAuthed(app, '/api/friends', alice);
  expect(res.statusCode).toBe(200);
  const bob = (res.json() as { username: string; online: boolean; lastSeen: number | null }[]).find(
    (f) => f.username === 'bob',
  );
  return { online: bob?.online, lastSeen: bob?.lastSeen, etag: res.headers.etag as string };
};

describe('presence', () => {
  it('takes a friend offline once a sweep finds no call in the last 25 s', async () => {
    const { app, alice, bobRegisteredAt } = await offlineBob();
    const [bob] = await friendsOf(app, alice);
    expect(bob).toMatchObject({ username: 'bob', online: false, lastSeen: bobRegisteredAt });
  });

  it('shows a user online after an authenticated call, and offline 25 s later after a sweep', async () => {
    const { clock, app, alice, bob } = await offlineBob();
    const calledAt = clock.now();
    expect((await getAuthed(app, '/api/friends', bob)).statusCode).toBe(200);
    expect(await bobAsAliceSeesHim(app, alice)).toMatchObject({ online: true, lastSeen: calledAt });

    clock.advance(WINDOW - 1000);
    await app.parley.presence.sweep();
    expect(await bobAsAliceSeesHim(app, alice)).toMatchObject({ online: true, lastSeen: calledAt });

    clock.advance(1000);
    await app.parley.presence.sweep();
    expect(await bobAsAliceSeesHim(app, alice)).toMatchObject({ online: false, lastSeen: calledAt });
  });

  it('does not take anyone offline without a sweep being due: an online user stays online between calls', async () => {
    const { clock, app, alice, bob } = await offlineBob();
    for (let i = 0; i < 5; i++) {
      await getAuthed(app, '/api/friends', bob);
      clock.advance(20_000);
      await app.parley.presence.sweep();
      expect((await bobAsAliceSeesHim(app, alice)).online).toBe(true);
    }
  });

  it('counts GET /api/status with a valid token as a heartbeat', async () => {
    const { clock, app, alice, bob } = await offlineBob();
    await app.inject({ method: 'GET', url: '/api/status' });
    expect((await bobAsAliceSeesHim(app, alice)).online).toBe(false);
    const at = clock.now();
    await app.inject({ method: 'GET', url: '/api/status', headers: bearer(bob) });
    expect(await bobAsAliceSeesHim(app, alice)).toMatchObject({ online: true, lastSeen: at });
  });

  it('does not count a call with a bad or revoked token as a heartbeat', async () => {
    const { clock, app, alice, bob } = await offlineBob();
    expect((await app.inject({ method: 'POST', url: '/api/logout', headers: bearer(bob) })).statusCode).toBe(
      204,
    );
    // The logout itself was an authenticated call; let its window pass.
    clock.advance(WINDOW);
    await app.parley.presence.sweep();
    const before = await bobAsAliceSeesHim(app, alice);
    expect(before.online).toBe(false);
    await app.inject({ method: 'GET', url: '/api/status', headers: bearer(bob) });
    await app.inject({ method: 'GET', url: '/api/friends', headers: bearer(bob) });
    await app.inject({ method: 'GET', url: '/api/friends', headers: bearer('garbage') });
    expect(await bobAsAliceSeesHim(app, alice)).toEqual(before);
  });

  it('counts logging in as a heartbeat', async () => {
    const { clock, app, alice } = await offlineBob();
    const at = clock.now();
    const res = await app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { username: 'bob', password: 'correct horse' },
    });
    expect(res.statusCode).toBe(200);
    expect(await bobAsAliceSeesHim(app, alice)).toMatchObject({ online: true, lastSeen: at });
  });

  it('keeps lastSeen and the friends ETag stable while a friend stays online', async () => {
    const { clock, app, alice, bob } = await offlineBob();
    const cameOnline = clock.now();
    await getAuthed(app, '/api/friends', bob);
    const first = await bobAsAliceSeesHim(app, alice);
    expect(first).toMatchObject({ online: true, lastSeen: cameOnline });
    for (let i = 0; i < 4; i++) {
      clock.advance(10_000);
      await getAuthed(app, '/api/friends', bob);
      await app.parley.presence.sweep();
      const now = await bobAsAliceSeesHim(app, alice);
      expect(now).toEqual(first);
      const cached = await getAuthed(app, '/api/friends', alice, { 'if-none-match': first.etag });
      expect(cached.statusCode).toBe(304);
    }
  });

  it('sets lastSeen to the last call when a friend goes offline, and changes the ETag', async () => {
    const { clock, app, alice, bob } = await offlineBob();
    await getAuthed(app, '/api/friends', bob);
    const online = await bobAsAliceSeesHim(app, alice);
    clock.advance(10_000);
    const lastCall = clock.now();
    await getAuthed(app, '/api/friends', bob);
    clock.advance(WINDOW);
    await app.parley.presence.sweep();
    const offline = await bobAsAliceSeesHim(app, alice);
    expect(offline).toMatchObject({ online: false, lastSeen: lastCall });
    expect(offline.etag).not.toBe(online.etag);
    const res = await getAuthed(app, '/api/friends', alice, { 'if-none-match': online.etag });
    expect(res.statusCode).toBe(200);
  });

  it('keeps a user online while they hold an event stream, and for 25 s after it closes', async () => {
    const { clock, app, alice } = await offlineBob();
    const bobId = await userIdOf(app, 'bob');
    const openedAt = clock.now();
    await app.parley.presence.streamOpened(bobId, 'bob');
    clock.advance(5 * WINDOW);
    await app.parley.presence.sweep();
    expect(await bobAsAliceSeesHim(app, alice)).toMatchObject({ online: true, lastSeen: openedAt });
    const closedAt = clock.now();
    app.parley.presence.streamClosed(bobId);
    clock.advance(WINDOW - 1000);
    await app.parley.presence.sweep();
    expect((await bobAsAliceSeesHim(app, alice)).online).toBe(true);
    clock.advance(1000);
    await app.parley.presence.sweep();
    expect(await bobAsAliceSeesHim(app, alice)).toMatchObject({ online: false, lastSeen: closedAt });
  });

  it('tells friends’ event streams when a user comes online and goes offline', async () => {
    const { clock, app, bob } = await offlineBob();
    const recorder = recordingSink();
    const subscription = app.parley.hub.subscribe(await userIdOf(app, 'alice'), null, recorder.sink);
    try {
      const at = clock.now();
      await getAuthed(app, '/api/friends', bob);
      await getAuthed(app, '/api/friends', bob);
      clock.advance(WINDOW);
      await app.parley.presence.sweep();
      expect(recorder.events.filter((e) => e.type === 'presence').map((e) => e.data)).toEqual([
        { username: 'bob', online: true, lastSeen: at },
        { username: 'bob', online: false, lastSeen: at },
      ]);
    } finally {
      subscription.unsubscribe();
    }
  });
});
