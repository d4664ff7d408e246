import { type EventObject, fromCallback, fromPromise } from 'xstate';
import type {
  ApiFailure,
  Conditional,
  FriendBody,
  MessageBody,
  MessagesPage,
  ParleyApi,
  PushEvent,
  SendMessageBody,
  Session,
  StatusBody,
} from '../ports';
import { toFailure } from './failure';

/** Runs a call and rethrows its failure as a plain ApiFailure, so machines (and the inspector) see data. */
const call = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    throw toFailure(error);
  }
};

export interface SignInInput {
  mode: 'login' | 'register';
  username: string;
  password: string;
}

/** The calls machines invoke, each aborting its request when the invoking state is left. */
export const createApiActors = (api: ParleyApi) => ({
  checkStatus: fromPromise<StatusBody, { token: string | null }>(({ input, signal }) =>
    call(() => api.status(input.token, { signal })),
  ),
  signIn: fromPromise<Session, SignInInput>(({ input, signal }) =>
    call(() =>
      input.mode === 'login'
        ? api.login(input.username, input.password, { signal })
        : api.register(input.username, input.password, { signal }),
    ),
  ),
  signOut: fromPromise<void, { token: string }>(({ input, signal }) =>
    call(() => api.logout(input.token, { signal })),
  ),
  fetchFriends: fromPromise<Conditional<FriendBody[]>, { token: string; etag: string | null }>(
    ({ input, signal }) => call(() => api.friends(input.token, input.etag, { signal })),
  ),
  addFriend: fromPromise<string, { token: string; username: string }>(({ input, signal }) =>
    call(() => api.addFriend(input.token, input.username, { signal })),
  ),
  fetchMessages: fromPromise<
    Conditional<MessageBody[]>,
    { token: string; page: MessagesPage; etag: string | null }
  >(({ input, signal }) => call(() => api.messages(input.token, input.page, input.etag, { signal }))),
  postMessage: fromPromise<
    SendMessageBody,
    { token: string; message: { to: string; content: string; clientId: string } }
  >(({ input, signal }) => call(() => api.send(input.token, input.message, { signal }))),
});

export type StreamEvent =
  | { type: 'stream.opened' }
  | { type: 'stream.batch'; events: PushEvent[]; lastId: string | null }
  | { type: 'stream.ended' }
  | { type: 'stream.failed'; failure: ApiFailure };

/**
 * The event stream as a callback actor. Events that arrive within one frame are handed over as one
 * batch (so a burst updates each snapshot once); stopping the actor aborts the request.
 */
export const createStreamActor = (api: ParleyApi, nextFrame: (callback: () => void) => () => void) =>
  fromCallback<EventObject, { token: string; lastEventId: string | null }>(({ input, sendBack }) => {
    const controller = new AbortController();
    let pending: PushEvent[] = [];
    let position: string | null = null;
    let cancelFrame: (() => void) | null = null;
    const flush = () => {
      cancelFrame = null;
      const events = pending;
      pending = [];
      sendBack({ type: 'stream.batch', events, lastId: position } satisfies StreamEvent);
    };
    const schedule = () => {
      cancelFrame ??= nextFrame(flush);
    };
    api
      .events(
        input.token,
        input.lastEventId,
        {
          onOpen: () => sendBack({ type: 'stream.opened' } satisfies StreamEvent),
          onEvent: ({ id, ...event }) => {
            pending.push(event as PushEvent);
            if (id !== null) position = id;
            schedule();
          },
          onPosition: (id) => {
            position = id;
            schedule();
          },
        },
        { signal: controller.signal },
      )
      .then(
        () => {
          if (cancelFrame) flush();
          sendBack({ type: 'stream.ended' } satisfies StreamEvent);
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          if (cancelFrame) flush();
          sendBack({ type: 'stream.failed', failure: toFailure(error) } satisfies StreamEvent);
        },
      );
    return () => {
      cancelFrame?.();
      controller.abort();
    };
  });
