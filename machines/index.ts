/**
 * The one public entry of the actor core. `createParleyMachine(deps)` gives the root machine with every
 * actor that reaches out provided from `deps`: the same machines run in the browser (fetch, IndexedDB,
 * window events), in Node (undici, memory) and in tests (MSW or hand-made fakes).
 */
import { createApiActors, createStreamActor } from './actors/api';
import { createEnvironmentActor } from './actors/environment';
import { createStorageActors } from './actors/storage';
import { appMachine } from './appMachine';
import { connectionMachine } from './connectionMachine';
import { conversationMachine } from './conversationMachine';
import { friendsMachine } from './friendsMachine';
import { provideOutbox } from './outboxMachine';
import type { Environment, ParleyApi, ParleyStorage } from './ports';

export interface ParleyDeps {
  api: ParleyApi;
  storage: ParleyStorage;
  env: Environment;
}

export function createParleyMachine(deps: ParleyDeps) {
  const api = createApiActors(deps.api);
  const storage = createStorageActors(deps.storage);
  return appMachine.provide({
    actors: {
      loadSession: storage.loadSession,
      saveSession: storage.saveSession,
      forgetFriends: storage.forgetFriends,
      loadView: storage.loadView,
      saveView: storage.saveView,
      signIn: api.signIn,
      signOut: api.signOut,
      watchEnvironment: createEnvironmentActor(deps.env),
      connection: connectionMachine.provide({
        actors: {
          checkStatus: api.checkStatus,
          watchEvents: createStreamActor(deps.api, deps.env.nextFrame),
        },
      }),
      friends: friendsMachine.provide({
        actors: {
          fetchFriends: api.fetchFriends,
          addFriend: api.addFriend,
          loadFriends: storage.loadFriends,
          saveFriends: storage.saveFriends,
        },
      }),
      conversation: conversationMachine.provide({ actors: { fetchMessages: api.fetchMessages } }),
      outbox: provideOutbox({
        postMessage: api.postMessage,
        loadOutbox: storage.loadOutbox,
        putOutgoing: storage.putOutgoing,
        removeOutgoing: storage.removeOutgoing,
      }),
    },
  });
}

export type ParleyMachine = ReturnType<typeof createParleyMachine>;
export { createMemoryStorage } from './actors/storage';
export { ACTIVITY_LIMIT, type AppContext, type AppEvent, appMachine } from './appMachine';
export { connectionMachine } from './connectionMachine';
export { conversationMachine } from './conversationMachine';
export type * from './events';
export { friendsMachine } from './friendsMachine';
export { outboxMachine } from './outboxMachine';
export * from './ports';
export { selectionMachine } from './selectionMachine';
export { sendMachine } from './sendMachine';
