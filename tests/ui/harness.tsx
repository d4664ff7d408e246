/**
 * The real web app (provider, machines, API client, IndexedDB storage on fake-indexeddb, the browser
 * environment adapter) in jsdom, against the MSW mock backend on its own base URL.
 */
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StrictMode } from 'react';
import { VirtuosoMockContext } from 'react-virtuoso';
import type { SimulatedClock } from 'xstate';
import type { FetchLike } from '../../src/api/client';
import { DEFAULT_PASSWORD, type MockBackend, type MockVariant } from '../../src/mocks/backend';
import { createMockServer } from '../../src/mocks/node';
import { ParleyApp } from '../../src/ui/App';
import { createIdbStorage } from '../../src/ui/storage';

export const BASE_URL = 'http://parley.test';
export { DEFAULT_PASSWORD };

let stopServer: (() => void) | null = null;
let currentServer: ReturnType<typeof createMockServer>['server'] | null = null;
/** The URL of every request the mock saw, in order. */
export const requests: string[] = [];
let databases = 0;

/**
 * A fresh mock backend: alice is friends with bob (online: he holds a stream; 1 unread) and carol (offline;
 * 2 unread). A presence window of 1 ms makes "online" mean "holds a stream", so carol's registration
 * does not count her as online. The `basic` variant has no streams, so there bob holds none.
 */
export function startBackend(options: { variant?: MockVariant } = {}): MockBackend {
  const variant = options.variant ?? 'full';
  const { server, backend } = createMockServer({ variant, baseUrl: BASE_URL, presenceWindowMs: 1 });
  server.listen({ onUnhandledRequest: 'error' });
  requests.length = 0;
  server.events.on('request:start', ({ request }) => {
    requests.push(request.url);
  });
  currentServer = server;
  stopServer = () => server.close();
  const { state } = backend;
  for (const name of ['alice', 'bob', 'carol', 'dave']) state.addUser(name);
  state.befriend('alice', 'bob');
  state.befriend('alice', 'carol');
  state.addMessage('bob', 'alice', 'Hello from bob');
  state.addMessage('alice', 'bob', 'Hi bob');
  state.addMessage('carol', 'alice', 'Lunch?');
  state.addMessage('carol', 'alice', 'At noon');
  if (variant === 'full') state.connectStream('bob');
  return backend;
}

/** The msw server of the running backend, for one-shot handlers (`server.use`) and request events. */
export function mockServer(): ReturnType<typeof createMockServer>['server'] {
  if (!currentServer) throw new Error('no mock backend is running (call startBackend first)');
  return currentServer;
}

/** Unmounts first (stopping the actors and their requests), then the mock. */
export function stopAll() {
  cleanup();
  stopServer?.();
  stopServer = null;
  currentServer = null;
}

export const newDatabaseName = () => `parley-test-${++databases}`;

/** Renders the app; the same `dbName` again is a reload of the same browser. */
export function renderApp(options: {
  strict: boolean;
  dbName?: string;
  /** The actors' timers; real ones unless given. */
  clock?: SimulatedClock;
  fetch?: FetchLike;
  /** The API client's deadline timers; real ones unless given. */
  apiClock?: SimulatedClock;
  /** The back-off's jitter seed; random unless given. */
  seed?: number;
}) {
  const storage = createIdbStorage(options.dbName ?? newDatabaseName());
  const { clock, fetch, apiClock, seed } = options;
  const app = (
    <VirtuosoMockContext.Provider value={{ viewportHeight: 600, itemHeight: 50 }}>
      <ParleyApp apiBaseUrl={BASE_URL} storage={storage} {...{ clock, fetch, apiClock, seed }} />
    </VirtuosoMockContext.Provider>
  );
  const user = userEvent.setup();
  const view = render(options.strict ? <StrictMode>{app}</StrictMode> : app);
  return { user, ...view };
}

type User = ReturnType<typeof userEvent.setup>;

export async function logIn(user: User, username = 'alice', password = DEFAULT_PASSWORD) {
  await user.type(await screen.findByRole('textbox', { name: 'Username' }), username);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Log in' }));
  await screen.findByRole('navigation', { name: 'Friends' });
}

export const friendItems = async () =>
  within(await screen.findByRole('list', { name: 'Friends' })).getAllByRole('listitem');

/** Chooses a friend and waits for their conversation to be open and loaded. */
export async function openConversation(user: User, username: string) {
  const list = await screen.findByRole('list', { name: 'Friends' });
  await user.click(within(list).getByRole('button', { name: new RegExp(`^${username}\\b`) }));
  await screen.findByRole('heading', { level: 2, name: username });
  const log = await screen.findByRole('log', { name: 'Messages' });
  return log;
}

export const messagesLog = () => screen.getByRole('log', { name: 'Messages' });
export const connectionStatus = () => screen.getByRole('status', { name: 'Connection' });
export const activityStatus = () => screen.getByRole('status', { name: 'Activity' });
