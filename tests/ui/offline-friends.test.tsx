import { act, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockBackend } from '../../src/mocks/backend';
import {
  connectionStatus,
  friendItems,
  logIn,
  messagesLog,
  newDatabaseName,
  openConversation,
  renderApp,
  startBackend,
  stopAll,
} from './harness';

const TEXT = 'written while the server was away';

const friendsNav = () => screen.getByRole('navigation', { name: 'Friends' });

describe.each([
  ['in StrictMode', true],
  ['without StrictMode', false],
])('reloading while offline (%s)', (_, strict) => {
  let backend: MockBackend;
  beforeEach(() => {
    backend = startBackend();
  });
  afterEach(stopAll);

  it('shows the friends from the last visit, opens a conversation with its pending message, and sends it once when back', async () => {
    const dbName = newDatabaseName();
    const first = renderApp({ strict, dbName });
    await logIn(first.user);
    await waitFor(async () =>
      expect((await friendItems()).map((li) => li.textContent)).toEqual([
        expect.stringMatching(/^bob\b.*\bonline/),
        expect.stringMatching(/^carol\b.*\boffline/),
      ]),
    );
    await openConversation(first.user, 'bob');
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Connected/));

    backend.faults.set('all', 'down');
    await first.user.type(screen.getByRole('textbox', { name: 'Message' }), `${TEXT}{Enter}`);
    await within(messagesLog()).findByText(TEXT);
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Offline/));
    first.unmount();

    // The reload, with the server still out of reach.
    const second = renderApp({ strict, dbName });
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Offline/));
    const items = await friendItems();
    // Who is online now is unknown: everyone shows offline, and the panel says the list is the last known.
    expect(items.map((li) => li.textContent)).toEqual([
      expect.stringMatching(/^bob\b.*\boffline/),
      expect.stringMatching(/^carol\b.*\boffline/),
    ]);
    await waitFor(() =>
      expect(within(friendsNav()).getByText(/showing friends from your last visit/i)).toBeTruthy(),
    );
    expect(within(friendsNav()).queryByText(/No friends yet/)).toBeNull();

    await openConversation(second.user, 'bob');
    await waitFor(() => {
      const bubble = within(messagesLog()).getByText(TEXT).closest('article, li') as HTMLElement;
      expect(within(bubble).getByRole('img', { name: 'pending' })).toBeTruthy();
    });
    expect(backend.state.conversation('bob', 'alice').some((m) => m.content === TEXT)).toBe(false);
    // The history could not load: the log says so, rather than that the conversation starts here.
    expect(within(messagesLog()).getByText(/Earlier messages could not be loaded/)).toBeTruthy();
    expect(within(messagesLog()).queryByText('Start of the conversation')).toBeNull();
    expect(within(messagesLog()).queryByText('Hi bob')).toBeNull();

    // Back online: the browser says so, and the message goes out once; the list is the server's again.
    backend.faults.clear();
    act(() => {
      window.dispatchEvent(new Event('online'));
    });
    await waitFor(
      () =>
        expect(backend.state.conversation('bob', 'alice').filter((m) => m.content === TEXT)).toHaveLength(1),
      { timeout: 10_000 },
    );
    await waitFor(() => expect(within(messagesLog()).getAllByText(TEXT)).toHaveLength(1));
    await within(messagesLog()).findByText('Hi bob');
    expect(within(messagesLog()).queryByText(/Earlier messages could not be loaded/)).toBeNull();
    await waitFor(() =>
      expect(within(friendsNav()).queryByText(/showing friends from your last visit/i)).toBeNull(),
    );
    await waitFor(async () =>
      expect((await friendItems()).map((li) => li.textContent)).toEqual([
        expect.stringMatching(/^bob\b.*\bonline/),
        expect.stringMatching(/^carol\b.*\boffline/),
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stored = backend.state.conversation('bob', 'alice').filter((m) => m.content === TEXT);
    expect(stored).toHaveLength(1);
  }, 30_000);

  it('says the list could not be loaded, not "No friends yet", when offline with nothing kept', async () => {
    const dbName = newDatabaseName();
    // Signed in while the friends list could not be fetched: no list is kept.
    backend.faults.set('friends', 'down');
    const first = renderApp({ strict, dbName });
    await logIn(first.user);
    await waitFor(() => expect(within(friendsNav()).getByText(/friends could not be loaded/)).toBeTruthy());
    first.unmount();

    backend.faults.set('all', 'down');
    renderApp({ strict, dbName });
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Offline/));
    await waitFor(() => expect(within(friendsNav()).getByText(/friends could not be loaded/)).toBeTruthy());
    expect(within(friendsNav()).queryByText(/No friends yet/)).toBeNull();
    expect(screen.queryByRole('list', { name: 'Friends' })).toBeNull();
  }, 20_000);

  it('says "No friends yet" when the server answered an empty list', async () => {
    backend.state.addUser('erin');
    const { user } = renderApp({ strict });
    await logIn(user, 'erin');
    await waitFor(() =>
      expect(within(friendsNav()).getByText('No friends yet: add one below.')).toBeTruthy(),
    );
  });
});
