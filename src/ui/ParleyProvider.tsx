/**
 * The one place the root actor is created, with the browser's deps: fetch, IndexedDB, window events.
 * Everything below reads it through the hooks in ./hooks.ts. Besides the actor, it holds only what is
 * the person's own and not the server's: message drafts per conversation, and how many messages were
 * unread when they chose a friend (where the unread divider goes).
 */
import { useActorRef } from '@xstate/react';
import { createContext, type ReactNode, useCallback, useMemo, useState } from 'react';
import type { Actor, ActorOptions, AnyActorLogic } from 'xstate';
import { createParleyMachine, type ParleyMachine } from '../../machines';
import type { Environment, ParleyStorage } from '../../machines/ports';
import { createApiClient, type FetchLike } from '../api/client';
import { createCollector, DEFAULT_LIMIT } from '../inspector/collector';
import { CollectorContext } from '../inspector/context';
import { createBrowserEnvironment } from './environment';
import { createIdbStorage } from './storage';

export type ParleyActor = Actor<ParleyMachine>;

export interface Drafts {
  draftFor(peer: string): string;
  setDraft(peer: string, text: string): void;
}

export interface Openings {
  /** Unread count of each friend at the moment the person chose them. */
  unreadAtOpen: Readonly<Record<string, number>>;
  noteOpened(peer: string, unread: number): void;
}

export const RootContext = createContext<ParleyActor | null>(null);
// Apart, so a keystroke re-renders the composer and not what reads the openings.
export const DraftsContext = createContext<Drafts | null>(null);
export const OpeningsContext = createContext<Openings | null>(null);

export interface ParleyProviderProps {
  children: ReactNode;
  /** Where the API lives: '' (the default) for the page's own origin. */
  apiBaseUrl?: string;
  fetch?: FetchLike;
  storage?: ParleyStorage;
  env?: Environment;
  /** For tests: the actors' timers (a `SimulatedClock`); the default is the real one. */
  clock?: ActorOptions<AnyActorLogic>['clock'];
  /** For tests: the timers of the API client's deadlines (a `SimulatedClock`); the default is the real one. */
  apiClock?: ActorOptions<AnyActorLogic>['clock'];
  /** For tests: the seed of the reconnect back-off's jitter; random by default. */
  seed?: number;
}

export function ParleyProvider({
  children,
  apiBaseUrl = '',
  fetch,
  storage,
  env,
  clock,
  apiClock,
  seed: givenSeed,
}: ParleyProviderProps) {
  // Created once: a new machine would make useActorRef start a new root actor.
  const [machine] = useState(() =>
    createParleyMachine({
      api: createApiClient({
        baseUrl: apiBaseUrl,
        // Called through a wrapper: the browser's fetch refuses to run with another `this`.
        fetch: fetch ?? ((url, init) => globalThis.fetch(url, init)),
        ...(apiClock && {
          setTimeout: (callback: () => void, ms: number) => apiClock.setTimeout(callback, ms),
          clearTimeout: (handle: unknown) => apiClock.clearTimeout(handle),
        }),
      }),
      storage: storage ?? createIdbStorage(),
      env: env ?? createBrowserEnvironment(),
    }),
  );
  const [seed] = useState(() => givenSeed ?? Math.floor(Math.random() * 2 ** 31));
  // Records every actor, event and snapshot (bounded) for the inspector, whether or not it is open.
  const [collector] = useState(() => createCollector({ limit: DEFAULT_LIMIT }));
  const actor = useActorRef(machine, {
    input: { seed },
    inspect: collector.inspect,
    ...(clock && { clock }),
  });

  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [unreadAtOpen, setUnreadAtOpen] = useState<Record<string, number>>({});
  const setDraft = useCallback(
    (peer: string, text: string) => setDrafts((all) => (all[peer] === text ? all : { ...all, [peer]: text })),
    [],
  );
  const noteOpened = useCallback(
    (peer: string, unread: number) =>
      setUnreadAtOpen((all) => (all[peer] === unread ? all : { ...all, [peer]: unread })),
    [],
  );
  const draftsValue = useMemo<Drafts>(
    () => ({ draftFor: (peer) => drafts[peer] ?? '', setDraft }),
    [drafts, setDraft],
  );
  const openings = useMemo<Openings>(() => ({ unreadAtOpen, noteOpened }), [unreadAtOpen, noteOpened]);

  return (
    <RootContext.Provider value={actor}>
      <CollectorContext.Provider value={collector}>
        <OpeningsContext.Provider value={openings}>
          <DraftsContext.Provider value={draftsValue}>{children}</DraftsContext.Provider>
        </OpeningsContext.Provider>
      </CollectorContext.Provider>
    </RootContext.Provider>
  );
}
