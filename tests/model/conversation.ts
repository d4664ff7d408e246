/**
 * Choosing a friend and reading the conversation: nothing selected; choosing (the 300 ms debounce, the
 * open conversation unchanged meanwhile); bob's or carol's conversation open; bob's with older history
 * loaded. Messages arrive from the open peer: pushed on the full backend, by the 2 s poll on the basic one.
 * Each switch happens with a slow answer for the old peer in flight, which must be aborted and never reach
 * the new one.
 *
 * Time is the model's own: the actors run on a SimulatedClock that only `time.debounceElapses` (300 ms,
 * checked 1 ms before too) and, on the basic backend, `peer.sends` (to the poll, both edges) move; the API
 * client's deadlines run on another that nothing moves, so no call is ever given up on real time.
 */
import { expect } from 'vitest';
import { createMachine, type SimulatedClock } from 'xstate';
import type { MessageBody } from '../../machines/ports';
import { advance, dueIn, flush } from '../machines/harness';
import type { ModelSpec } from './run';
import { type System, signIn, until } from './system';

/** selectionMachine's debounce and conversationMachine's poll interval (tab visible). */
export const DEBOUNCE_MS = 300;
export const POLL_MS = 2000;

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

const clockOf = (system: System): SimulatedClock => {
  if (!system.clock) throw new Error('the conversation model runs on a SimulatedClock');
  return system.clock;
};

const conversation = (system: System) =>
  system.child('conversation')?.getSnapshot() as
    | { context: { peer: string; messages: MessageBody[]; hasOlder: boolean }; hasTag(tag: string): boolean }
    | undefined;

const selection = (system: System) =>
  system.child('selection')?.getSnapshot() as
    | { context: { pending: string | null }; hasTag(tag: string): boolean }
    | undefined;

const choosingNow = (system: System) => selection(system)?.hasTag('choosing') === true;
const peerNow = (system: System) => system.actor.getSnapshot().context.peer;

const select = (username: string) => async (system: System) => {
  system.actor.send({ type: 'friend.select', username });
};

/**
 * The open conversation's refresh (a browser wake-up asks for it) meets a slow answer, still on its way
 * when the switch comes: leaving the conversation must abort it, and its answer must reach nobody.
 */
async function holdRefresh(system: System, peer: string): Promise<void> {
  const asked = system.messagesAsked(peer);
  system.backend.faults.set('messages', 'slow', { once: true, delayMs: 1000 });
  system.wake();
  await until(
    () => system.backend.faults.get('messages') === undefined && system.messagesAsked(peer) > asked,
    `${peer}'s refresh to reach the mock`,
  );
  expect(system.messagesInFlight(peer)).toBeGreaterThan(0);
}

const ids = (messages: MessageBody[]) => messages.map((m) => m.id);

const open =
  (peer: string, options: { older?: boolean } = {}) =>
  async (system: System) => {
    await until(() => {
      const c = conversation(system);
      return c?.context.peer === peer && !c.hasTag('loading') && !c.hasTag('loadingOlder');
    }, `${peer}'s conversation`);
    expect(peerNow(system)).toBe(peer);
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
  expect(choosingNow(system)).toBe(true);
  expect(peerNow(system)).toBe(shown.get(system) ?? null);
};

export const conversationSpec: ModelSpec = {
  name: 'selection and conversation',
  model: conversationModel,
  bobHistory: BOB_HISTORY,
  clock: 'simulated',
  deadlines: 'simulated',
  setup: async (system) => {
    await signIn(system);
    await until(() => system.actor.getSnapshot().context.online, 'online');
  },
  events: {
    'user.selectBob': select('bob'),
    'user.selectCarol': select('carol'),
    'time.debounceElapses': async (system) => {
      const before = peerNow(system);
      const chosen = selection(system)?.context.pending ?? null;
      if (before !== null && chosen !== before) await holdRefresh(system, before);
      advance(clockOf(system), DEBOUNCE_MS - 1);
      await flush();
      // 1 ms before the debounce ends: still choosing, the conversation open before unchanged.
      expect(choosingNow(system), `still choosing at ${DEBOUNCE_MS - 1} ms`).toBe(true);
      expect(peerNow(system)).toBe(before);
      expect(conversation(system)?.context.peer ?? null).toBe(before);
      advance(clockOf(system), 1);
      expect(choosingNow(system), `still choosing at ${DEBOUNCE_MS} ms`).toBe(false);
      expect(peerNow(system)).toBe(chosen);
    },
    'peer.sends': async (system) => {
      const peer = peerNow(system) ?? '';
      sent += 1;
      const message = system.backend.state.addMessage(peer, 'alice', `news ${sent}`);
      if (system.variant === 'full') return; // pushed on the stream at once, the clock standing still
      // The basic backend has no stream: the message comes with the next poll, due on the clock.
      const held = () => conversation(system)?.context.messages.some((m) => m.id === message.id) === true;
      const asked = system.messagesAsked(peer);
      const due = dueIn(clockOf(system), POLL_MS);
      advance(clockOf(system), due - 1);
      await flush();
      expect(system.messagesAsked(peer), `polls 1 ms before the poll is due`).toBe(asked);
      expect(held()).toBe(false);
      advance(clockOf(system), 1);
      expect(system.messagesAsked(peer), 'polls when due').toBe(asked + 1);
      await until(held, 'the message by the poll');
    },
    'user.loadOlder': async (system) => {
      expect(conversation(system)?.context.hasOlder).toBe(true);
      system.actor.send({ type: 'history.loadOlder' });
    },
  },
  states: {
    nothingSelected: async (system) => {
      expect(peerNow(system)).toBeNull();
      expect(system.child('conversation')).toBeUndefined();
    },
    choosingBob: choosing,
    choosingCarol: choosing,
    bobOpen: open('bob'),
    bobWithOlder: open('bob', { older: true }),
    carolOpen: open('carol'),
  },
};
