/**
 * Level 2 of the selection-and-conversation model (tests/model/conversation.ts): the same generated paths,
 * carried out by a person on the web app in jsdom against the MSW backend, each state asserted through the
 * roles and names of UI.md.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockBackend } from '../../src/mocks/backend';
import { conversationModel } from '../model/conversation';
import { generatePaths, modelTransitions, takenTransitions } from '../model/paths';
import { logIn, messagesLog, renderApp, requests, startBackend, stopAll } from './harness';

type User = ReturnType<typeof renderApp>['user'];
interface Page {
  user: User;
  backend: MockBackend;
  /** The friend whose conversation the person last saw open. */
  shown: string | null;
  sent: number;
}

const heading = () => screen.queryByRole('heading', { level: 2 });
const shownTexts = () =>
  within(messagesLog())
    .queryAllByRole('article')
    .map((a) => a.textContent ?? '');

const select = (username: string) => async (page: Page) => {
  const list = await screen.findByRole('list', { name: 'Friends' });
  await page.user.click(within(list).getByRole('button', { name: new RegExp(`^${username}\\b`) }));
};

const choosing = async (page: Page) => {
  // The debounce: the conversation open before the click is still the one shown.
  expect(heading()?.textContent ?? null).toBe(page.shown);
};

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
    page.shown = peer;
  };

const events: Record<string, (page: Page) => Promise<void>> = {
  'user.selectBob': select('bob'),
  'user.selectCarol': select('carol'),
  'time.debounceElapses': async (page) => {
    await waitFor(() => expect(heading()?.textContent).not.toBe(page.shown));
  },
  'peer.sends': async (page) => {
    const peer = heading()?.textContent ?? '';
    page.sent += 1;
    page.backend.state.addMessage(peer, 'alice', `News ${page.sent}`);
  },
  'user.loadOlder': async () => {
    const log = messagesLog();
    log.scrollTop = 0;
    fireEvent.scroll(log);
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

const paths = generatePaths(conversationModel, { simpleLimit: 40 });

describe('selection and conversation model, in the web app', () => {
  afterEach(stopAll);

  for (const path of paths) {
    it(path.description, async () => {
      const backend = startBackend();
      // More than a page (50) from bob, so there is older history to load; "Old 01" is the oldest.
      for (let i = 1; i <= 60; i += 1)
        backend.state.addMessage('bob', 'alice', `Old ${String(i).padStart(2, '0')}`);
      const { user } = renderApp({ strict: true });
      await logIn(user);
      const page: Page = { user, backend, shown: null, sent: 0 };
      await states.nothingSelected?.(page);
      for (const step of path.steps) {
        const run = events[step.event.type];
        const check = states[step.to];
        if (!run || !check) throw new Error(`no way to carry out ${step.event.type} or check ${step.to}`);
        await run(page);
        await check(page);
      }
    });
  }

  it('takes every transition of the model', () => {
    const taken = takenTransitions(paths);
    expect(modelTransitions(conversationModel).filter((t) => !taken.has(t))).toEqual([]);
  });
});
