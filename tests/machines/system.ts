import { type AnyActorRef, createActor, SimulatedClock } from 'xstate';
import { createMemoryStorage, createParleyMachine } from '../../machines';
import type { Environment, FriendBody, KeptView, MessageBody, StatusBody } from '../../machines/ports';
import { createFakeApi } from './fakeApi';
import { flush } from './harness';

export const STATUS: StatusBody = { status: 'online', version: '1', time: 1, user: 'alice' };

export const friend = (username: string): FriendBody => ({
  username,
  online: true,
  lastSeen: 1,
  unread: 0,
  lastMessageId: null,
});

/**
 * The whole actor system on a fake API, a memory storage, a hand-run environment and simulated time;
 * every actor ever started is recorded (through `inspect`) so a test can check that none is left running.
 */
export function startSystem(opts: { session?: boolean; views?: Record<string, KeptView> } = {}) {
  const fake = createFakeApi();
  const storage = createMemoryStorage();
  const clock = new SimulatedClock();
  let frames: (() => void)[] = [];
  const listeners = new Set<(signal: 'online' | 'focus' | 'visible' | 'hidden') => void>();
  const env: Environment = {
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    nextFrame(callback) {
      frames.push(callback);
      return () => {
        frames = frames.filter((f) => f !== callback);
      };
    },
  };
  if (opts.session !== false) void storage.saveSession({ username: 'alice', token: 'tok' });
  for (const [username, view] of Object.entries(opts.views ?? {})) void storage.saveView(username, view);
  const actors = new Set<AnyActorRef>();
  const root = createActor(createParleyMachine({ api: fake.api, storage, env }), {
    clock,
    input: { seed: 7 },
    inspect: (event) => {
      if (event.type === '@xstate.actor') actors.add(event.actorRef as AnyActorRef);
    },
  });
  root.start();
  const child = (id: string) => (root.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];
  return {
    root,
    fake,
    storage,
    clock,
    actors,
    child,
    runFrames() {
      const now = frames;
      frames = [];
      for (const f of now) f();
    },
    signal(kind: 'online' | 'focus' | 'visible' | 'hidden') {
      for (const l of listeners) l(kind);
    },
    listenerCount: () => listeners.size,
    conversation: () =>
      child('conversation')?.getSnapshot().context as { peer: string; messages: MessageBody[] } | undefined,
  };
}

/** Brings a restored session up: status answered, friends listed, the stream opened. */
export async function bringOnline(
  sys: ReturnType<typeof startSystem>,
  friends: FriendBody[] = [friend('bob')],
) {
  await flush();
  sys.fake.next('status').resolve(STATUS);
  await flush();
  sys.fake.next('friends').resolve({ notModified: false, body: friends, etag: '"f1"' });
  const stream = sys.fake.next('events');
  stream.handlers?.onOpen();
  await flush();
  return stream;
}
