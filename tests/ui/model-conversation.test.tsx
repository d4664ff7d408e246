/**
 * Level 2 of the selection-and-conversation model (tests/model/conversation.ts): the same generated paths,
 * carried out by a person on the web app in jsdom against the MSW backend (full and basic), each state
 * asserted through the roles and names of UI.md.
 *
 * Time is simulated: the app's actors run on a SimulatedClock (ParleyProvider's `clock`) that only the
 * debounce (300 ms, checked 1 ms before too) and, on the basic backend, the 2 s poll bringing a message move;
 * the API client's deadlines run on another that nothing moves. A wrapper around fetch counts the app's
 * message fetches per friend as they are made, so a switch can be seen to abort the old one.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { FetchLike } from '../../src/api/client';
import type { MockBackend, MockVariant } from '../../src/mocks/backend';
import { advance, dueIn, flush } from '../machines/harness';
import { conversationModel, DEBOUNCE_MS, POLL_MS } from '../model/conversation';
import { carryOut, generatePaths, untakenTransitions } from '../model/paths';
import { logIn, messagesLog, renderApp, requests, startBackend, stopAll } from './harness';

type User = ReturnType<typeof renderApp>['user'];
interface Page {
  variant: MockVariant;
  user: User;
  backend: MockBackend;
  clock: SimulatedClock;
  /** The friend whose conversation the person last saw open. */
  shown: string | null;
  /** The friend the person last clicked. */
  chosen: string | null;
  /** The person scrolled up to the start of the log (to load older history). */
  scrolledUp: boolean;
  sent: number;
  /** Message fetches for a friend the app has started, and those not yet settled. */
  asked: (peer: string) => number;
  inFlight: (peer: string) => number;
}

const heading = () => screen.queryByRole('heading', { level: 2 });
const headingText = () => heading()?.textContent ?? null;
const shownTexts = () =>
  within(messagesLog())
    .queryAllByRole('article')
    .map((a) => a.textContent ?? '');

const select = (username: string) => async (page: Page) => {
  const list = await screen.findByRole('list', { name: 'Friends' });
  await page.user.click(within(list).getByRole('button', { name: new RegExp(`^${username}\\b`) }));
  page.chosen = username;
};

const choosing = async (page: Page) => {
  await flush();
  // The debounce: the conversation open before the click is still the one shown.
  expect(headingText()).toBe(page.shown);
};

/**
 * The open conversation's refresh (the person comes back to the tab) meets a slow answer, still on its way
 * when the switch comes: leaving the conversation must abort it.
 */
async function holdRefresh(page: Page, peer: string): Promise<void> {
  const asked = page.asked(peer);
  page.backend.faults.set('messages', 'slow', { once: true, delayMs: 1000 });
  window.dispatchEvent(new Event('focus'));
  await waitFor(() => {
    expect(page.backend.faults.get('messages')).toBeUndefined();
    expect(page.asked(peer)).toBeGreaterThan(asked);
  });
  expect(page.inFlight(peer)).toBeGreaterThan(0);
}

const open =
  (peer: string, options: { older?: boolean } = {}) =>
  async (page: Page) => {
    await screen.findByRole('heading', { level: 2, name: peer });
    // The log holds this conversation only (virtualised: some of its messages), nothing of the other one.
    const other = peer === 'bob' ? 'carol' : 'bob';
    await waitFor(() => expect(shownTexts().some((t) => t.startsWith(`${peer}:`))).toBe(true));
    expect(shownTexts().filter((t) => t.startsWith(`${other}:`))).toEqual([]);
    if (options.older)
      expect(requests.some((url) => url.includes('before=') && url.includes(peer))).toBe(true);
    // Leaving a conversation aborted its requests: nothing for the other friend is still on its way.
    expect(page.inFlight(other), `fetches for ${other} in flight`).toBe(0);
    page.shown = peer;
  };

/** The message is in the log, or (the reader scrolled up) announced by the New messages button. */
const arrived = (page: Page, text: string) =>
  waitFor(() =>
    expect(
      shownTexts().some((t) => t.includes(text)) ||
        (page.scrolledUp && screen.queryByRole('button', { name: /New messages/ }) !== null),
    ).toBe(true),
  );

const events: Record<string, (page: Page) => Promise<void>> = {
  'user.selectBob': select('bob'),
  'user.selectCarol': select('carol'),
  'time.debounceElapses': async (page) => {
    const before = page.shown;
    if (before !== null && page.chosen !== before) await holdRefresh(page, before);
    advance(page.clock, DEBOUNCE_MS - 1);
    await flush();
    expect(headingText(), `the conversation shown ${DEBOUNCE_MS - 1} ms after the click`).toBe(before);
    advance(page.clock, 1);
    await waitFor(() => expect(headingText()).toBe(page.chosen));
    page.scrolledUp = false;
  },
  'peer.sends': async (page) => {
    const peer = page.shown ?? '';
    page.sent += 1;
    const text = `News ${page.sent}`;
    page.backend.state.addMessage(peer, 'alice', text);
    if (page.variant === 'basic') {
      // No stream: the message comes with the next poll, due on the clock (both edges).
      const asked = page.asked(peer);
      const due = dueIn(page.clock, POLL_MS);
      advance(page.clock, due - 1);
      await flush();
      expect(page.asked(peer), 'polls 1 ms before the poll is due').toBe(asked);
      expect(shownTexts().some((t) => t.includes(text))).toBe(false);
      advance(page.clock, 1);
      expect(page.asked(peer), 'polls when due').toBe(asked + 1);
    }
    await arrived(page, text);
  },
  'user.loadOlder': async (page) => {
    const log = messagesLog();
    log.scrollTop = 0;
    fireEvent.scroll(log);
    page.scrolledUp = true;
    await waitFor(() => expect(requests.some((url) => url.includes('before='))).toBe(true));
  },
};

const states: Record<string, (page: Page) => Promise<void>> = {
  nothingSelected: async () => {
    expect(heading()).toBeNull();
    expect(screen.queryByRole('log', { name: 'Messages' })).toBeNull();
  },
  choosingBob: choosing,
  choosingCarol: choosing,
  bobOpen: open('bob'),
  bobWithOlder: open('bob', { older: true }),
  carolOpen: open('carol'),
};

/** Counts the app's message fetches per friend, when made and until settled (an aborted one at once). */
function countingFetch() {
  const asked = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const fetch: FetchLike = (url, init) => {
    const parsed = new URL(url);
    const peer =
      parsed.pathname === '/api/messages' && (init.method ?? 'GET') === 'GET'
        ? parsed.searchParams.get('peer')
        : null;
    if (peer === null) return globalThis.fetch(url, init);
    asked.set(peer, (asked.get(peer) ?? 0) + 1);
    inFlight.set(peer, (inFlight.get(peer) ?? 0) + 1);
    return globalThis.fetch(url, init).finally(() => inFlight.set(peer, (inFlight.get(peer) ?? 1) - 1));
  };
  return {
    fetch,
    asked: (peer: string) => asked.get(peer) ?? 0,
    inFlight: (peer: string) => inFlight.get(peer) ?? 0,
  };
}

const paths = generatePaths(conversationModel, { simpleLimit: 40 });

for (const variant of ['full', 'basic'] as const) {
  describe(`selection and conversation model, in the web app (${variant} backend)`, () => {
    afterEach(stopAll);

    for (const path of paths) {
      it(path.description, async () => {
        const backend = startBackend({ variant });
        // More than a page (50) from bob, so there is older history to load; "Old 01" is the oldest.
        for (let i = 1; i <= 60; i += 1)
          backend.state.addMessage('bob', 'alice', `Old ${String(i).padStart(2, '0')}`);
        const clock = new SimulatedClock();
        const calls = countingFetch();
        const { user } = renderApp({
          strict: true,
          clock,
          apiClock: new SimulatedClock(),
          fetch: calls.fetch,
        });
        await logIn(user);
        const page: Page = {
          variant,
          user,
          backend,
          clock,
          shown: null,
          chosen: null,
          scrolledUp: false,
          sent: 0,
          asked: calls.asked,
          inFlight: calls.inFlight,
        };
        await states.nothingSelected?.(page);
        await carryOut(path, page, events, states);
      });
    }

    it('takes every transition of the model', () => {
      expect(untakenTransitions(conversationModel, paths)).toEqual([]);
    });
  });
}
