/**
 * Choosing a friend and reading the conversation: nothing selected; choosing (the 300 ms debounce, the
 * open conversation unchanged meanwhile); bob's or carol's conversation open; bob's with older history
 * loaded. Messages arrive from the open peer. Each switch happens with a slow answer for the old peer in
 * flight, which must never reach the new one.
 */
import { expect } from 'vitest';
import { createMachine } from 'xstate';
import type { MessageBody } from '../../machines/ports';
import type { ModelSpec } from './run';
import { type System, signIn, until } from './system';

/** Bob's history: more than one page (50), so there is older history to load. */
const BOB_HISTORY = 60;

export const conversationModel = createMachine({
  id: 'conversation',
  initial: 'nothingSelected',
  states: {
    nothingSelected: { on: { 'user.selectBob': 'choosingBob', 'user.selectCarol': 'choosingCarol' } },
    choosingBob: { on: { 'user.selectCarol': 'choosingCarol', 'time.debounceElapses': 'bobOpen' } },
    choosingCarol: { on: { 'user.selectBob': 'choosingBob', 'time.debounceElapses': 'carolOpen' } },
    bobOpen: {
      on: { 'user.selectCarol': 'choosingCarol', 'peer.sends': 'bobOpen', 'user.loadOlder': 'bobWithOlder' },
    },
    bobWithOlder: { on: { 'user.selectCarol': 'choosingCarol', 'peer.sends': 'bobWithOlder' } },
    carolOpen: { on: { 'user.selectBob': 'choosingBob', 'peer.sends': 'carolOpen' } },
  },
});

/** The conversation the person saw open before the current step (the debounce must keep it). */
const shown = new WeakMap<System, string | null>();
let sent = 0;

const conversation = (system: System) =>
  system.child('conversation')?.getSnapshot() as
    | { context: { peer: string; messages: MessageBody[]; hasOlder: boolean }; hasTag(tag: string): boolean }
    | undefined;

const select = (username: string) => async (system: System) => {
  if (conversation(system)) {
    // The open conversation's refresh answers late: after the switch, if the old actor were still there.
    system.backend.faults.set('messages', 'slow', { once: true, delayMs: 1500 });
    system.wake();
  }
  system.actor.send({ type: 'friend.select', username });
};

const ids = (messages: MessageBody[]) => messages.map((m) => m.id);

const open =
  (peer: string, options: { older?: boolean } = {}) =>
  async (system: System) => {
    await until(() => {
      const c = conversation(system);
      return c?.context.peer === peer && !c.hasTag('loading') && !c.hasTag('loadingOlder');
    }, `${peer}'s conversation`);
    expect(system.actor.getSnapshot().context.peer).toBe(peer);
    const server = system.backend.state.conversation('alice', peer);
    await until(
      () => conversation(system)?.context.messages.at(-1)?.id === server.at(-1)?.id,
      `${peer}'s newest message`,
    );
    const held = conversation(system)?.context.messages ?? [];
    // Only this peer's messages, contiguous up to the newest: nothing from the one open before.
    expect(ids(held)).toEqual(ids(server.slice(-held.length)));
    if (options.older) expect(held.length).toBe(server.length);
    else expect(held.length).toBeGreaterThanOrEqual(Math.min(server.length, 50));
    // Leaving a conversation aborted its requests: nothing for another peer is still on its way.
    for (const other of ['bob', 'carol'].filter((p) => p !== peer)) {
      expect(system.messagesInFlight(other), `fetches for ${other} in flight`).toBe(0);
    }
    shown.set(system, peer);
  };

const choosing = async (system: System) => {
  expect(system.child('selection')?.getSnapshot().hasTag('choosing')).toBe(true);
  expect(system.actor.getSnapshot().context.peer).toBe(shown.get(system) ?? null);
};

export const conversationSpec: ModelSpec = {
  name: 'selection and conversation',
  model: conversationModel,
  bobHistory: BOB_HISTORY,
  setup: async (system) => {
    await signIn(system);
    await until(() => system.actor.getSnapshot().context.online, 'online');
  },
  events: {
    'user.selectBob': select('bob'),
    'user.selectCarol': select('carol'),
    'time.debounceElapses': async (system) => {
      await until(() => !system.child('selection')?.getSnapshot().hasTag('choosing'), 'the debounce');
    },
    'peer.sends': async (system) => {
      const peer = system.actor.getSnapshot().context.peer ?? '';
      sent += 1;
      system.backend.state.addMessage(peer, 'alice', `news ${sent}`);
    },
    'user.loadOlder': async (system) => {
      expect(conversation(system)?.context.hasOlder).toBe(true);
      system.actor.send({ type: 'history.loadOlder' });
    },
  },
  states: {
    nothingSelected: async (system) => {
      expect(system.actor.getSnapshot().context.peer).toBeNull();
      expect(system.child('conversation')).toBeUndefined();
    },
    choosingBob: choosing,
    choosingCarol: choosing,
    bobOpen: open('bob'),
    bobWithOlder: open('bob', { older: true }),
    carolOpen: open('carol'),
  },
};
