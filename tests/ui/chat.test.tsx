import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MockBackend } from '../../src/mocks/backend';
import {
  activityStatus,
  connectionStatus,
  friendItems,
  logIn,
  messagesLog,
  openConversation,
  renderApp,
  startBackend,
  stopAll,
} from './harness';

const articles = () => within(messagesLog()).queryAllByRole('article');
const articleWith = (text: string) => {
  const found = articles().find((a) => a.textContent?.includes(text));
  if (!found) throw new Error(`no message with "${text}"`);
  return found;
};

describe.each([
  ['in StrictMode', true],
  ['without StrictMode', false],
])('chatting (%s)', (_, strict) => {
  let backend: MockBackend;
  beforeEach(() => {
    backend = startBackend();
  });
  afterEach(stopAll);

  async function signedIn() {
    const view = renderApp({ strict });
    await logIn(view.user);
    return view;
  }

  it('lists each friend by name, online or offline, with the unread count', async () => {
    await signedIn();
    await waitFor(async () => {
      const texts = (await friendItems()).map((li) => li.textContent ?? '');
      expect(texts).toHaveLength(2);
      expect(texts[0]).toMatch(/^bob online/);
      expect(texts[0]).toMatch(/1 unread/);
      expect(texts[1]).toMatch(/^carol offline, last seen /);
      expect(texts[1]).toMatch(/2 unread/);
    });
  });

  it('adds a friend and says so in the Activity status', async () => {
    const { user } = await signedIn();
    await user.type(screen.getByRole('textbox', { name: 'Add friend' }), 'dave');
    await user.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(activityStatus().textContent).toBe('Added dave'));
    await waitFor(async () => expect((await friendItems()).map((li) => li.textContent)).toHaveLength(3));
  });

  it("puts the server's refusal of an add in the Activity status", async () => {
    const { user } = await signedIn();
    await user.type(screen.getByRole('textbox', { name: 'Add friend' }), 'nobody_here');
    await user.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() => expect(activityStatus().textContent).toMatch(/^Could not add nobody_here: /));
  });

  it('opens the chosen conversation under a heading with its messages, oldest first', async () => {
    const { user } = await signedIn();
    await openConversation(user, 'bob');
    await waitFor(() => expect(articles()).toHaveLength(2));
    const [first, second] = articles();
    expect(first?.textContent).toContain('Hello from bob');
    expect(first?.className).toContain('received');
    expect(second?.textContent).toContain('Hi bob');
    expect(second?.className).toContain('sent');
    // Bob has not read it yet: the server says it is not delivered.
    expect(within(second as HTMLElement).getByRole('img', { name: 'pending' })).toBeTruthy();
    expect(within(first as HTMLElement).queryByRole('img')).toBeNull();
  });

  it('marks where the unread messages start and clears the unread count', async () => {
    const { user } = await signedIn();
    await openConversation(user, 'carol');
    await waitFor(() => expect(articles()).toHaveLength(2));
    expect(within(messagesLog()).getByText('Unread messages')).toBeTruthy();
    await waitFor(async () => expect((await friendItems())[1]?.textContent).not.toMatch(/unread/));
  });

  it('sends with Enter: the message shows pending, then delivered', async () => {
    const { user } = await signedIn();
    await openConversation(user, 'bob');
    backend.faults.set('send', 'slow', { once: true, delayMs: 400 });
    const box = screen.getByRole('textbox', { name: 'Message' });
    await user.type(box, 'See you soon{Enter}');
    expect((box as HTMLTextAreaElement).value).toBe('');
    await waitFor(() =>
      expect(within(articleWith('See you soon')).getByRole('img', { name: 'pending' })).toBeTruthy(),
    );
    const send = screen.getByRole('button', { name: 'Send' });
    expect(send.textContent).toBe('Sending…');
    expect((send as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() =>
      expect(within(articleWith('See you soon')).getByRole('img', { name: 'delivered' })).toBeTruthy(),
    );
    expect(articles().filter((a) => a.textContent?.includes('See you soon'))).toHaveLength(1);
    expect(backend.state.conversation('bob', 'alice').at(-1)?.content).toBe('See you soon');
  });

  it('makes a new line with Shift+Enter and keeps it in the message', async () => {
    const { user } = await signedIn();
    await openConversation(user, 'bob');
    const box = screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement;
    await user.type(box, 'first line{Shift>}{Enter}{/Shift}second line');
    expect(box.value).toBe('first line\nsecond line');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(articleWith('second line')).toBeTruthy());
    const content = articleWith('second line').querySelector('.content');
    expect(content?.textContent).toBe('first line\nsecond line');
  });

  it('disables Send while the box is empty or blank', async () => {
    const { user } = await signedIn();
    await openConversation(user, 'bob');
    const send = screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), '   ');
    expect(send.disabled).toBe(true);
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'x');
    expect(send.disabled).toBe(false);
  });

  it('keeps a draft per conversation', async () => {
    const { user } = await signedIn();
    await openConversation(user, 'bob');
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'for bob');
    await openConversation(user, 'carol');
    expect((screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement).value).toBe('');
    await openConversation(user, 'bob');
    expect((screen.getByRole('textbox', { name: 'Message' }) as HTMLTextAreaElement).value).toBe('for bob');
  });

  it('shows markup in a message as text', async () => {
    const { user } = await signedIn();
    await openConversation(user, 'bob');
    const markup = '<img src=x onerror=alert(1)>';
    await user.type(
      screen.getByRole('textbox', { name: 'Message' }),
      `${markup.replace(/[{[]/g, '$&$&')}{Enter}`,
    );
    await waitFor(() => expect(articleWith(markup)).toBeTruthy());
    expect(messagesLog().querySelector('img')).toBeNull();
    expect(articleWith(markup).querySelector('.content')?.textContent).toBe(markup);
  });

  it('shows a refused send as failed with Retry, which sends it again', async () => {
    const { user } = await signedIn();
    await openConversation(user, 'bob');
    backend.faults.set('send', 'malformed', { once: true });
    await user.type(screen.getByRole('textbox', { name: 'Message' }), 'try this{Enter}');
    const failed = await waitFor(() => {
      const article = articleWith('try this');
      within(article).getByRole('img', { name: 'failed' });
      return article;
    });
    await waitFor(() => expect(activityStatus().textContent).toMatch(/^Send failed: /));
    await user.click(within(failed).getByRole('button', { name: 'Retry' }));
    await waitFor(() =>
      expect(within(articleWith('try this')).getByRole('img', { name: 'delivered' })).toBeTruthy(),
    );
    expect(within(messagesLog()).queryByRole('button', { name: 'Retry' })).toBeNull();
    // The failure is over: the Activity status no longer says it.
    await waitFor(() => expect(activityStatus().textContent).toBe('Sent to bob'));
  });

  it('says Connected and live, Offline with a countdown and Retry now, then Connected again', async () => {
    const { user } = await signedIn();
    await waitFor(() => expect(connectionStatus().textContent).toBe('Connected · live'));
    backend.faults.set('all', 'down');
    // Any call that cannot reach the server takes the connection offline at once.
    await user.click(
      within(screen.getByRole('list', { name: 'Friends' })).getByRole('button', { name: /^carol/ }),
    );
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Offline · Reconnecting…/));
    expect(connectionStatus().textContent).toMatch(/in \d+ s$/);
    backend.faults.clear();
    await user.click(screen.getByRole('button', { name: 'Retry now' }));
    await waitFor(() => expect(connectionStatus().textContent).toMatch(/^Connected · /));
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
  });

  it('opens the Inspector beside the chat, with the live actor tree', async () => {
    const { user } = await signedIn();
    await user.click(screen.getByRole('button', { name: 'Inspector' }));
    const inspector = screen.getByRole('region', { name: 'Inspector' });
    const tree = within(inspector).getByRole('tree', { name: 'Actors' });
    const items = within(tree).getAllByRole('treeitem');
    expect(items[0]?.textContent).toMatch(/^app/);
    const ids = items.map((i) => i.querySelector('.actor-id')?.textContent);
    expect(ids).toEqual(expect.arrayContaining(['connection', 'friends', 'selection', 'outbox']));
    await openConversation(user, 'bob');
    await waitFor(() =>
      expect(
        within(tree)
          .getAllByRole('treeitem')
          .map((i) => i.querySelector('.actor-id')?.textContent),
      ).toContain('conversation'),
    );
    await user.click(screen.getByRole('button', { name: 'Inspector' }));
    expect(screen.queryByRole('region', { name: 'Inspector' })).toBeNull();
  });
});
