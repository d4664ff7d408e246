import { fireEvent, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockBackend } from '../../src/mocks/backend';
import { logIn, messagesLog, openConversation, renderApp, requests, startBackend, stopAll } from './harness';

const shown = () =>
  within(messagesLog())
    .queryAllByRole('article')
    .map((a) => a.querySelector('.content')?.textContent);

describe.each([
  ['in StrictMode', true],
  ['without StrictMode', false],
])('a long conversation (%s)', (_, strict) => {
  let backend: MockBackend;
  beforeEach(() => {
    backend = startBackend();
    // Written by alice, so none is unread: the conversation opens at the bottom.
    for (let i = 1; i <= 120; i++) backend.state.addMessage('alice', 'bob', `Line ${i}`);
  });
  afterEach(stopAll);

  it('renders only the messages in view, the newest at the bottom', async () => {
    const { user } = renderApp({ strict });
    await logIn(user);
    await openConversation(user, 'bob');
    await waitFor(() => expect(shown()).toContain('Line 120'));
    // Virtualised: the first page holds 50 messages, far fewer are in the document.
    expect(shown().length).toBeLessThan(30);
    expect(shown()).not.toContain('Line 71');
  });

  it('loads older messages when scrolled to the top, keeping the reader in place', async () => {
    const { user } = renderApp({ strict });
    await logIn(user);
    await openConversation(user, 'bob');
    await waitFor(() => expect(shown()).toContain('Line 120'));
    const log = messagesLog();
    log.scrollTop = 0;
    fireEvent.scroll(log);
    await waitFor(() => expect(requests.some((url) => url.includes('before='))).toBe(true));
    // The page before the first one held arrived, and the top of the view is still the message it was.
    await waitFor(() => expect(shown()[0]).toBe('Line 71'));
  });
});
