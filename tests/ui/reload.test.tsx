/**
 * A reload (the app unmounted, a new one mounted on the same IndexedDB) returns to the conversation that
 * was open: the same friend chosen, its log loaded, at the bottom or at the unread divider.
 */
import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockBackend } from '../../src/mocks/backend';
import {
  friendItems,
  logIn,
  messagesLog,
  newDatabaseName,
  openConversation,
  renderApp,
  startBackend,
  stopAll,
} from './harness';

const shown = () =>
  within(messagesLog())
    .queryAllByRole('article')
    .map((a) => a.querySelector('.content')?.textContent);

/** The friends whose item is marked as the chosen one. */
const chosen = async () =>
  (await friendItems())
    .filter((li) => li.querySelector('[aria-current="true"]') !== null)
    .map((li) => li.textContent);

describe.each([
  ['in StrictMode', true],
  ['without StrictMode', false],
])('reloading the page (%s)', (_, strict) => {
  let backend: MockBackend;
  beforeEach(() => {
    backend = startBackend();
    // Written by alice, so none is unread: a long conversation, more than a screen.
    for (let i = 1; i <= 60; i++) backend.state.addMessage('alice', 'bob', `Line ${i}`);
  });
  afterEach(stopAll);

  /** Signs in, opens bob, and leaves (unmounts): the first visit. */
  async function firstVisit(dbName: string) {
    const first = renderApp({ strict, dbName });
    await logIn(first.user);
    await openConversation(first.user, 'bob');
    await waitFor(() => expect(shown()).toContain('Line 60'));
    first.unmount();
  }

  it('opens the conversation that was open, with its messages, at the bottom', async () => {
    const dbName = newDatabaseName();
    await firstVisit(dbName);

    renderApp({ strict, dbName });
    // No click: the same friend is chosen and their log is loaded.
    await screen.findByRole('heading', { level: 2, name: 'bob' });
    await waitFor(async () => expect(await chosen()).toEqual([expect.stringMatching(/^bob\b/)]));
    await waitFor(() => expect(shown()).toContain('Line 60'));
    expect(shown()).not.toContain('Line 30');
    expect(within(messagesLog()).queryByText('Unread messages')).toBeNull();
  });

  it('opens it at the unread divider when messages came while away', async () => {
    const dbName = newDatabaseName();
    await firstVisit(dbName);
    for (let i = 1; i <= 30; i++) backend.state.addMessage('bob', 'alice', `News ${i}`);

    renderApp({ strict, dbName });
    await screen.findByRole('heading', { level: 2, name: 'bob' });
    // The first unread message, under the divider, is at the top of the view; the newest are further down.
    await waitFor(() => expect(shown()[0]).toBe('News 1'));
    expect(within(messagesLog()).getByText('Unread messages')).toBeTruthy();
    expect(shown()).not.toContain('News 30');
    // Opening read them: the friends list no longer counts them.
    await waitFor(async () => expect((await friendItems())[0]?.textContent).not.toMatch(/unread/));
  });

  it('opens nothing after signing out and in again', async () => {
    const dbName = newDatabaseName();
    const first = renderApp({ strict, dbName });
    await logIn(first.user);
    await openConversation(first.user, 'bob');
    await first.user.click(screen.getByRole('button', { name: 'Log out' }));
    await logIn(first.user);
    await waitFor(async () => expect(await friendItems()).toHaveLength(2));
    first.unmount();

    renderApp({ strict, dbName });
    await waitFor(async () => expect(await friendItems()).toHaveLength(2));
    expect(screen.getByText('No conversation open')).toBeTruthy();
    expect(await chosen()).toEqual([]);
  });
});
