/**
 * The clients of one size: headless Parley clients in this process, signed up in pairs of friends, each with
 * its partner's conversation open; and what the benchmark waits for and watches in them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyActorRef, Subscription } from 'xstate';
import type { MessageBody } from '../../machines/ports';
import { createNodeApiClient, type NodeApiClient } from '../../src/api/node';
import { createParleyClient, type ParleyClient } from '../../src/client';
import { PASSWORD } from '../serve/child';
import { timed } from './breakdown';
import { BREAKDOWN, CONNECTIONS } from './settings';

export interface Pair {
  a: ParleyClient;
  b: ParleyClient;
  nameA: string;
  nameB: string;
}

/** The clients of the size being run, so an error or a signal stops them too (bench/clients/index.ts). */
let live: ParleyClient[] = [];

/** Stops every client started since the last call. */
export async function stopLiveClients() {
  const clients = live;
  live = [];
  await Promise.allSettled(clients.map((c) => c.stop()));
}

export const userName = (i: number) => `user_${String(i).padStart(5, '0')}`;

/** Signs up two clients of the server at `baseUrl` as friends, each with the other's conversation open. */
export function pairMaker(baseUrl: string) {
  const make = (seed: number) =>
    createParleyClient({
      baseUrl,
      seed,
      // Each client its own sockets, as separate people would have: the event stream one (src/api/node.ts),
      // calls CONNECTIONS more. Without a cap each concurrent call could open a socket of its own.
      api: (BREAKDOWN ? timed : (api: NodeApiClient) => api)(
        createNodeApiClient(baseUrl, { agent: { connections: CONNECTIONS } }),
      ),
    });
  /** Two clients signed up, friends, each with the other's conversation open (not yet loaded). */
  return async (nameA: string, nameB: string, seed: number): Promise<Pair> => {
    const a = make(seed);
    const b = make(seed + 1);
    live.push(a, b);
    await Promise.all([a.register(nameA, PASSWORD), b.register(nameB, PASSWORD)]);
    a.addFriend(nameB);
    await a.until(() => a.friends().some((f) => f.username === nameB), 20_000, `${nameA} to add ${nameB}`);
    await b.until(() => b.friends().some((f) => f.username === nameA), 20_000, `${nameB} to see ${nameA}`);
    a.select(nameB);
    b.select(nameA);
    return { a, b, nameA, nameB };
  };
}

/** Resolves once `check` holds for every client (one shared poll, not one timer per client). */
export async function untilAll(
  clients: ParleyClient[],
  check: (c: ParleyClient) => boolean,
  ms: number,
  what: string,
) {
  const started = Date.now();
  for (;;) {
    const left = clients.filter((c) => !check(c)).length;
    if (left === 0) return;
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms: ${left} clients not ${what}`);
    await sleep(20);
  }
}

const conversationOf = (c: ParleyClient) =>
  (c.actor.getSnapshot().children as Record<string, AnyActorRef | undefined>).conversation;

/** Online, live (event stream open) and with `partner`'s conversation loaded. */
export const ready = (c: ParleyClient, partner: string) => {
  if (c.peer() !== partner) return false;
  const connection = c.connection();
  const conversation = conversationOf(c);
  return (
    connection.online &&
    connection.live &&
    conversation !== undefined &&
    !conversation.getSnapshot().hasTag('loading')
  );
};

/** A recipient's conversation, watched: `onMessages` runs on each snapshot, re-attached if the actor is replaced. */
export function watchConversation(client: ParleyClient, onMessages: (messages: MessageBody[]) => void) {
  let current: AnyActorRef | undefined;
  let inner: Subscription | undefined;
  const attach = () => {
    const conversation = conversationOf(client);
    if (conversation === current) return;
    inner?.unsubscribe();
    current = conversation;
    inner = conversation?.subscribe((snapshot) => onMessages(snapshot.context.messages as MessageBody[]));
    if (conversation) onMessages(conversation.getSnapshot().context.messages as MessageBody[]);
  };
  const outer = client.actor.subscribe(attach);
  attach();
  return () => {
    outer.unsubscribe();
    inner?.unsubscribe();
  };
}
