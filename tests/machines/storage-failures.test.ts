/**
 * A storage that fails (a full disk, a blocked IndexedDB) never stops the actor system: what could not be
 * kept is said in the Activity, and everything else goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { flush } from './harness';
import { startSystem } from './system';

const systems: ReturnType<typeof startSystem>[] = [];
afterEach(() => {
  for (const sys of systems.splice(0)) sys.root.stop();
});

describe('when storage fails', () => {
  it('signs in all the same when the session cannot be kept, and says so in the Activity', async () => {
    const sys = startSystem({ session: false });
    systems.push(sys);
    sys.storage.saveSession = async () => {
      throw new Error('The disk is full.');
    };
    await flush();
    sys.root.send({ type: 'session.login', username: 'alice', password: 'secret password' });
    sys.fake.next('login').resolve({ username: 'alice', token: 'tok2' });
    await flush();
    expect(sys.root.getSnapshot().status).toBe('active');
    expect(sys.root.getSnapshot().hasTag('signedIn')).toBe(true);
    expect(sys.root.getSnapshot().context.activity.at(-1)).toMatchObject({
      kind: 'error',
      text: 'Could not keep the session on this device: The disk is full.',
    });
    expect(sys.child('saveSession')).toBeUndefined();
  });

  it('signs out all the same when the kept friends list cannot be forgotten, and says so', async () => {
    const sys = startSystem();
    systems.push(sys);
    sys.storage.forgetFriends = async () => {
      throw new Error('The database is blocked.');
    };
    await flush();
    sys.root.send({ type: 'session.logout' });
    sys.fake.next('logout').resolve(undefined);
    await flush();
    expect(sys.root.getSnapshot().status).toBe('active');
    expect(sys.root.getSnapshot().hasTag('signedOut')).toBe(true);
    expect(sys.root.getSnapshot().context.activity.map((a) => a.text)).toContain(
      'Could not forget the kept friends list: The database is blocked.',
    );
    expect(sys.child('forgetFriends')).toBeUndefined();
  });
});
