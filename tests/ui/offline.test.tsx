import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockBackend } from '../../src/mocks/backend';
import {
  connectionStatus,
  logIn,
  messagesLog,
  newDatabaseName,
  openConversation,
  renderApp,
  startBackend,
  stopAll,
} from './harness';

const TEXT = 'written while the server was away';

describe.each([
  ['in StrictMode', true],
  ['without StrictMode', false],
])('writing while offline (%s)', (_, strict) => {
  let backend: MockBackend;
  beforeEach(() => {
    backend = startBackend();
  });
  afterEach(stopAll);

  it('keeps a message written offline pending across a reload, then sends it exactly once', async () => {
    const dbName = newDatabaseName();
    const first = renderApp({ strict, dbName });
    await logIn(first.user);
    await openConversation(first.user, 'bob');
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Connected/));

    backend.faults.set('all', 'down');
    await first.user.type(screen.getByRole('textbox', { name: 'Message' }), `${TEXT}{Enter}`);
    const pending = await within(messagesLog()).findByText(TEXT);
    const bubble = pending.closest('article, li') as HTMLElement;
    await waitFor(() => expect(within(bubble).getByRole('img', { name: 'pending' })).toBeTruthy());
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Offline/));
    // Closing the tab: the message lives on only in IndexedDB.
    first.unmount();

    backend.faults.clear();
    const second = renderApp({ strict, dbName });
    await openConversation(second.user, 'bob');
    await waitFor(
      () =>
        expect(backend.state.conversation('bob', 'alice').filter((m) => m.content === TEXT)).toHaveLength(1),
      {
        timeout: 10_000,
      },
    );
    const shown = await within(messagesLog()).findAllByText(TEXT);
    expect(shown).toHaveLength(1);
    // Given time for any stray retry, it is still stored once, with one clientId.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stored = backend.state.conversation('bob', 'alice').filter((m) => m.content === TEXT);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.clientId).toBeTruthy();
  }, 30_000);
});
