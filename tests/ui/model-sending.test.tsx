/**
 * Level 2 of the sending model (tests/model/sending.ts): the same generated paths, carried out by a person
 * on the web app in jsdom against the MSW backend (full, and basic where its transitions apply). Each state
 * is asserted through UI.md's roles and names (the message's article, its pending / delivered / failed mark,
 * its Retry button, the Send button, the Connection and Activity status) and against the backend's rows: a
 * message is stored once, and every post of it carried one clientId. A reload is an unmount and a new
 * render on the same IndexedDB database.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockBackend, MockVariant } from '../../src/mocks/backend';
import { createIdbStorage } from '../../src/ui/storage';
import { carryOut, generatePaths, untakenTransitions } from '../model/paths';
import { holdNextPost, REFUSAL, REFUSED_ACTIVITY, refuseNextPost, sendingModel } from '../model/sending';
import {
  activityStatus,
  BASE_URL,
  connectionStatus,
  logIn,
  messagesLog,
  mockServer,
  newDatabaseName,
  openConversation,
  renderApp,
  startBackend,
  stopAll,
} from './harness';

interface Page {
  variant: MockVariant;
  strict: boolean;
  backend: MockBackend;
  view: ReturnType<typeof renderApp>;
  dbName: string;
  /** The contents written, in order; the last is the one the current state is about. */
  written: string[];
  /** Every POST /api/messages the backend saw, in order. */
  posts: { clientId: string; content: string }[];
  /** The Activity sentences this page load should have shown, oldest first. */
  reported: string[];
  release: () => void;
  /** Whether bob's conversation is open (a reload while offline cannot open it: no friends list). */
  open: boolean;
}

const last = (page: Page) => page.written.at(-1) ?? '';

/** The articles in the Messages log whose content is exactly `content`. */
const articlesWith = (content: string) =>
  within(messagesLog())
    .queryAllByText(content, { selector: 'p' })
    .map((p) => p.closest('article') as HTMLElement);

/**
 * The one article holding `content`, once it shows with `mark`. Found afresh on every try: an article
 * drawn from the outbox is replaced by the server's copy of the message.
 */
async function articleOf(content: string, mark?: 'pending' | 'delivered' | 'failed'): Promise<HTMLElement> {
  return waitFor(() => {
    const found = articlesWith(content);
    expect(found).toHaveLength(1);
    const article = found[0] as HTMLElement;
    if (mark) expect(markOf(article)).toEqual([mark]);
    return article;
  });
}

const markOf = (article: HTMLElement) =>
  within(article)
    .getAllByRole('img')
    .map((img) => img.getAttribute('aria-label'))
    .filter((name) => name === 'pending' || name === 'delivered' || name === 'failed');

const sendButton = () => screen.getByRole('button', { name: 'Send' });
const onServer = (page: Page, content: string) =>
  page.backend.state.conversation('alice', 'bob').filter((m) => m.content === content);

async function write(page: Page) {
  const content = `Message ${page.written.length + 1} on this path`;
  page.written.push(content);
  await page.view.user.type(screen.getByRole('textbox', { name: 'Message' }), content);
  await page.view.user.click(sendButton());
}

/** The Activity status shows the last sentence this page load reported (nothing before the first). */
const activityIsAsReported = (page: Page) =>
  expect(activityStatus().textContent).toBe(page.reported.at(-1) ?? '');

async function pendingNotStored(page: Page, options: { inFlight: boolean; offline: boolean }) {
  const article = await articleOf(last(page), 'pending');
  expect(within(article).queryByRole('button', { name: 'Retry' })).toBeNull();
  // UI.md: the Send button says `Sending…` while the message is in flight, and only then.
  await waitFor(() => expect(sendButton().textContent).toBe(options.inFlight ? 'Sending…' : 'Send'));
  if (options.offline) expect(connectionStatus().textContent).toMatch(/^Offline/);
  expect(onServer(page, last(page))).toHaveLength(0);
  activityIsAsReported(page);
}

/**
 * A reload of the same browser: the app unmounts (its requests abort) and renders on the same database.
 * Offline, the friends list cannot load, so bob's conversation is opened once the connection is back.
 */
async function reload(page: Page, options: { online: boolean }) {
  page.view.unmount();
  page.view = renderApp({ strict: page.strict, dbName: page.dbName });
  page.reported = [];
  page.open = false;
  await screen.findByRole('navigation', { name: 'Friends' });
  if (!options.online) {
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Offline/));
    return;
  }
  await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Connected/));
  await openConversation(page.view.user, 'bob');
  page.open = true;
}

/** The messages the browser keeps unsent (IndexedDB), as a second tab of it would read them. */
const keptUnsent = async (page: Page) =>
  (await createIdbStorage(page.dbName).loadOutbox('alice')).map((m) => m.content);

const events: Record<string, (page: Page) => Promise<void>> = {
  'user.send': write,
  'user.sendWhileServerSlow': async (page) => {
    page.release = holdNextPost(mockServer(), BASE_URL);
    await write(page);
    await waitFor(() => expect(sendButton().textContent).toBe('Sending…'));
  },
  'network.answers': async (page) => page.release(),
  'user.sendRejected': async (page) => {
    refuseNextPost(mockServer(), BASE_URL);
    await write(page);
    page.reported.push(REFUSED_ACTIVITY);
  },
  'user.retry': async (page) => {
    const article = await articleOf(last(page));
    await page.view.user.click(within(article).getByRole('button', { name: 'Retry' }));
    // Once the server has it, the Activity no longer says `Send failed: …`.
    page.reported.push('Sent to bob');
  },
  'user.sendAnswerLost': async (page) => {
    // The server stores it, then the connection breaks before the answer: the app goes offline, and the
    // person's Retry now brings it back, when the message is posted again.
    page.backend.faults.set('send', 'drop', { once: true });
    await write(page);
    await waitFor(() => expect(onServer(page, last(page))).toHaveLength(1));
    await page.view.user.click(await screen.findByRole('button', { name: 'Retry now' }));
    await waitFor(() => expect(page.posts.filter((p) => p.content === last(page))).toHaveLength(2));
  },
  'network.down': async (page) => {
    page.backend.faults.set('all', 'down');
    page.backend.state.endStreams('alice');
    // The person comes back to the tab: the app checks the connection at once.
    fireEvent.focus(window);
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Offline/));
  },
  'network.back': async (page) => {
    page.backend.faults.clear('all');
    // What the browser says when the network returns.
    fireEvent(window, new Event('online'));
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Connected/));
    if (!page.open) {
      await openConversation(page.view.user, 'bob');
      page.open = true;
    }
  },
  'user.reload': async (page) => {
    // Only a reload while the post is held is made with the server reachable.
    await reload(page, { online: page.backend.faults.get('all') === undefined });
  },
};

const states: Record<string, (page: Page) => Promise<void>> = {
  draft: async (page) => {
    expect(within(messagesLog()).queryAllByText(/^Message \d+ on this path$/)).toEqual([]);
    expect(sendButton()).toHaveProperty('disabled', true);
    expect(page.posts).toEqual([]);
    activityIsAsReported(page);
  },
  pending: (page) => pendingNotStored(page, { inFlight: true, offline: false }),
  pendingOffline: (page) => pendingNotStored(page, { inFlight: false, offline: true }),
  pendingOfflineAfterReload: async (page) => {
    // Nothing to open while offline after a reload: the message is kept in the browser, not posted.
    expect(connectionStatus().textContent).toMatch(/^Offline/);
    expect(await keptUnsent(page)).toEqual([last(page)]);
    expect(page.posts).toEqual([]);
    expect(onServer(page, last(page))).toHaveLength(0);
    activityIsAsReported(page);
  },
  offline: async (page) => {
    expect(connectionStatus().textContent).toMatch(/^Offline/);
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeTruthy();
    expect(within(messagesLog()).queryAllByText(/^Message \d+ on this path$/)).toEqual([]);
    activityIsAsReported(page);
  },
  failed: async (page) => {
    const article = await articleOf(last(page), 'failed');
    expect(article.textContent).toContain(REFUSAL);
    expect(within(article).getByRole('button', { name: 'Retry' })).toBeTruthy();
    expect(onServer(page, last(page))).toHaveLength(0);
    await waitFor(() => activityIsAsReported(page));
  },
  delivered: async (page) => {
    for (const content of page.written) {
      // Settled: on the full backend bob's stream took it (✓); on the basic one the server has it, no post
      // is in flight, and it stays ⏳ until bob reads it.
      await waitFor(() => {
        expect(onServer(page, content)).toHaveLength(1);
        expect(sendButton().textContent).toBe('Send');
      });
      const article = await articleOf(content, page.variant === 'full' ? 'delivered' : 'pending');
      expect(within(article).queryByRole('button', { name: 'Retry' })).toBeNull();
      // Exactly once, however often it was posted, and every post under one clientId (the stored one).
      const clientIds = [...new Set(page.posts.filter((p) => p.content === content).map((p) => p.clientId))];
      expect(clientIds, `the clientIds "${content}" was posted under`).toHaveLength(1);
      if (page.variant === 'full') expect(onServer(page, content)[0]?.clientId).toBe(clientIds[0]);
    }
    await waitFor(() => activityIsAsReported(page));
  },
};

// Both React modes, one per backend: each path once, the suite stays quick.
describe.each([
  ['full', 'in StrictMode', true],
  ['basic', 'without StrictMode', false],
] as const)('sending model, in the web app (%s backend, %s)', (variant, _, strict) => {
  const model = sendingModel(variant);
  const paths = generatePaths(model, { simpleLimit: 40 });
  afterEach(stopAll);

  for (const path of paths) {
    it(path.description, async () => {
      const backend = startBackend({ variant });
      const posts: Page['posts'] = [];
      mockServer().events.on('request:start', ({ request }) => {
        if (request.method !== 'POST' || !request.url.endsWith('/api/messages')) return;
        void request
          .clone()
          .json()
          .then((body: { clientId: string; content: string }) => posts.push(body));
      });
      const dbName = newDatabaseName();
      const view = renderApp({ strict, dbName });
      await logIn(view.user);
      await openConversation(view.user, 'bob');
      await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Connected/));
      const page: Page = {
        variant,
        strict,
        backend,
        view,
        dbName,
        written: [],
        posts,
        reported: [],
        release: () => {},
        open: true,
      };
      await states.draft?.(page);
      await carryOut(path, page, events, states);
    });
  }

  it('takes every transition of the model', () => {
    expect(untakenTransitions(model, paths)).toEqual([]);
  });
});
