/**
 * `npm run demo`: the mock backend runs in the page (msw's service worker), seeded with a few people, so
 * the UI can be tried with no server. Its data lives as long as the page, so a session kept from an
 * earlier load would name a token it never issued: demo mode keeps its own storage and starts signed out.
 */

import type { MockBackend } from '../mocks/backend';
import { DEFAULT_PASSWORD } from '../mocks/backend';
import { startDemoWorker } from '../mocks/browser';
import type { AppProps } from './App';
import type { ParleyProviderProps } from './ParleyProvider';
import { createIdbStorage } from './storage';

function seed(backend: MockBackend) {
  const { state } = backend;
  for (const name of ['alice', 'bob', 'carol', 'dave']) state.addUser(name);
  state.befriend('alice', 'bob');
  state.befriend('alice', 'carol');
  state.addMessage('bob', 'alice', 'Hi Alice! Did you get the slides?');
  state.addMessage('alice', 'bob', 'I did, thanks.\nI will read them tonight.');
  state.addMessage('bob', 'alice', 'Great. Tell me what you think of the last part.');
  state.addMessage('carol', 'alice', 'Lunch tomorrow?');
  state.addMessage('carol', 'alice', 'The new place on 5th, at 12:30 <b>if</b> you can.');
  // Bob keeps a stream open (another device): he shows online and receives at once.
  state.connectStream('bob');
}

export async function startDemo(): Promise<Omit<ParleyProviderProps, 'children'> & AppProps> {
  await startDemoWorker({ seed });
  const storage = createIdbStorage('parley-demo');
  await storage.saveSession(null);
  return {
    storage,
    hint: `Demo mode: the server runs in this page. Log in as alice, password “${DEFAULT_PASSWORD}”, or register someone new; dave is there to be added.`,
  };
}
