/**
 * What an agent can do as a Parley user, over the headless client: each operation sends events to the
 * root actor and reads its answer off snapshots, waiting on the actor system's changes (`client.until`),
 * never on a timer and never on the HTTP API itself. The MCP tools and resources (tools.ts, resources.ts)
 * are thin wrappers around these.
 */
import type { FriendBody, MessageBody } from '../../machines/ports';
import type { ParleyClient, WatchedConversation } from '../client';

/** A failure to tell the agent in a sentence (a tool error), not a crash. */
export class ToolError extends Error {
  override name = 'ToolError';
}

/** How many conversations are kept open for the agent at once; the least recently used is closed first. */
export const WATCH_LIMIT = 16;
/** How long a read waits for the server before it says why it could not read. */
const READ_WAIT_MS = 10_000;
/** How long `send_message` waits for the server before it answers `pending`. */
export const SEND_WAIT_MS = 10_000;

export interface StatusResult {
  username: string;
  online: boolean;
  transport: 'live' | 'polling';
  serverVersion: string | null;
  activity: string | null;
}
export interface FriendResult {
  username: string;
  online: boolean;
  lastSeen: number | null;
  unread: number;
}
export interface MessageResult {
  id: number;
  direction: 'sent' | 'received';
  content: string;
  timestamp: number;
  delivered: boolean;
}
export interface ReadResult {
  peer: string;
  messages: MessageResult[];
  hasOlder: boolean;
}
export interface SendResult {
  clientId: string;
  state: 'sent' | 'delivered' | 'pending' | 'failed';
  id?: number;
  error?: string;
}
export interface WaitResult {
  messages: (MessageResult & { peer: string })[];
  timedOut: boolean;
}

export interface AgentOptions {
  /** Why this process may not send now (another process holds the outbox), or null when it may. */
  sendBlocked?: () => Promise<string | null>;
}

const messageResult = (m: MessageBody): MessageResult => ({
  id: m.id,
  direction: m.direction,
  content: m.content,
  timestamp: m.timestamp,
  delivered: m.delivered,
});

export type Agent = ReturnType<typeof createAgent>;

export function createAgent(client: ParleyClient, options: AgentOptions = {}) {
  /** Watched peers, least recently used first; `inUse` counts the waits and reads holding each open. */
  const watched = new Map<string, { inUse: number }>();
  /** `wait_for_messages` calls still waiting (a cancelled one must stop at once). */
  let waiting = 0;

  /**
   * Keeps `peer`'s conversation open while the returned release is not called, closing the least recently
   * used idle ones beyond WATCH_LIMIT. The watch and unwatch events go out on the next microtask: this may
   * run inside the actor system's own snapshot notification (a `client.until` check).
   */
  function hold(peer: string): () => void {
    const entry = watched.get(peer) ?? { inUse: 0 };
    watched.delete(peer);
    watched.set(peer, entry);
    entry.inUse++;
    const closing: string[] = [];
    for (const [other, e] of watched) {
      if (watched.size <= WATCH_LIMIT) break;
      if (e.inUse === 0 && other !== peer) {
        watched.delete(other);
        closing.push(other);
      }
    }
    queueMicrotask(() => {
      if (watched.has(peer) && client.watched(peer) === null) client.watch(peer);
      for (const other of closing) if (!watched.has(other)) client.unwatch(other);
    });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.inUse--;
    };
  }

  const offline = () => (client.status().online ? '' : ' Parley is offline: it reconnects by itself.');

  async function knownFriends(): Promise<FriendBody[]> {
    if (!client.friendsKnown()) {
      await client
        .until(() => client.friendsKnown(), READ_WAIT_MS, 'the friends list')
        .catch(() => {
          throw new ToolError(`The friends list could not be loaded.${offline()}`);
        });
    }
    return client.friends();
  }

  async function requireFriend(peer: string): Promise<void> {
    const friends = await knownFriends();
    if (!friends.some((f) => f.username === peer)) throw new ToolError(`${peer} is not one of your friends.`);
  }

  async function loaded(peer: string): Promise<WatchedConversation> {
    const ready = () => {
      const c = client.watched(peer);
      return c !== null && (c.loaded || c.error !== null);
    };
    await client.until(ready, READ_WAIT_MS, `the conversation with ${peer}`).catch(() => {
      throw new ToolError(`The conversation with ${peer} could not be loaded.${offline()}`);
    });
    const conversation = client.watched(peer)!;
    if (!conversation.loaded) {
      throw new ToolError(
        `The conversation with ${peer} could not be loaded: ${conversation.error}${offline()}`,
      );
    }
    return conversation;
  }

  return {
    /** How many `waitForMessages` calls are waiting now. */
    waiting: () => waiting,

    /** How things stand; right after start it first lets the first status check answer (up to 5 s). */
    async status(): Promise<StatusResult> {
      await client.until(() => !client.status().checking, 5000, 'the status check').catch(() => {});
      const { checking: _, ...s } = client.status();
      return { ...s, username: s.username ?? '' };
    },

    /** The friends list, once it is known (right after start it waits for the first answer, up to 10 s). */
    async friends(): Promise<FriendResult[]> {
      return (await knownFriends()).map((f) => ({
        username: f.username,
        online: f.online,
        lastSeen: f.lastSeen,
        unread: f.unread,
      }));
    },

    /** Adds a friend; the server's sentence as a ToolError when it refuses. */
    async addFriend(username: string): Promise<{ username: string }> {
      // One add at a time in the friends actor: wait for a running one to end first.
      await client.until(() => client.addState()?.status !== 'adding', READ_WAIT_MS, 'an add to end');
      client.addFriend(username);
      await client
        .until(
          () => {
            const add = client.addState();
            return add !== null && add.username === username && add.status !== 'adding';
          },
          READ_WAIT_MS,
          `the server to add ${username}`,
        )
        .catch(() => {
          throw new ToolError(`Adding ${username} got no answer.${offline()}`);
        });
      const add = client.addState()!;
      if (add.status === 'failed') throw new ToolError(add.error ?? `Could not add ${username}.`);
      return { username };
    },

    /** Up to `limit` messages, oldest first, before the id `before` (or the newest), loading history as needed. */
    async readMessages(peer: string, limit = 50, before?: number): Promise<ReadResult> {
      await requireFriend(peer);
      const release = hold(peer);
      try {
        let conversation = await loaded(peer);
        const window = () => conversation.messages.filter((m) => before === undefined || m.id < before);
        while (window().length < limit && conversation.hasOlder) {
          const first = conversation.messages[0]?.id;
          client.loadOlder(peer);
          await client
            .until(
              () => {
                const c = client.watched(peer);
                return (
                  c !== null &&
                  !c.loadingOlder &&
                  (c.messages[0]?.id !== first || !c.hasOlder || c.error !== null)
                );
              },
              READ_WAIT_MS,
              `older messages with ${peer}`,
            )
            .catch(() => {
              throw new ToolError(`Older messages with ${peer} could not be loaded.${offline()}`);
            });
          const next = client.watched(peer)!;
          if (next.messages[0]?.id === first && next.hasOlder) {
            throw new ToolError(`Older messages with ${peer} could not be loaded: ${next.error}${offline()}`);
          }
          conversation = next;
        }
        const all = window();
        const messages = all.slice(-limit);
        return {
          peer,
          messages: messages.map(messageResult),
          hasOlder: all.length > limit || conversation.hasOlder,
        };
      } finally {
        release();
      }
    },

    /**
     * Writes a message through the outbox (durable before it may go out) and waits up to SEND_WAIT_MS for
     * the server: `sent`, `delivered`, `failed` with the server's sentence, or `pending` (kept, it goes out
     * by itself). `pending` is answered only once the message is in storage.
     */
    async sendMessage(peer: string, content: string): Promise<SendResult> {
      const blocked = (await options.sendBlocked?.()) ?? null;
      if (blocked !== null) throw new ToolError(blocked);
      if (client.friendsKnown() && !client.friends().some((f) => f.username === peer)) {
        throw new ToolError(`You are not friends with ${peer}.`);
      }
      const clientId = client.send(peer, content);
      const outgoing = client.tracker(clientId);
      const settled = () => ['sent', 'delivered', 'failed'].includes(outgoing().state);
      await client.until(settled, SEND_WAIT_MS, 'the server').catch(() => {});
      // Never `pending` before it is durable: a slow disk holds the answer, not the message.
      await client.until(() => outgoing().state !== 'saving', 60_000, 'storage').catch(() => {});
      const { state, id, error } = outgoing();
      switch (state) {
        case 'sent':
        case 'delivered':
          return { clientId, state, ...(id !== null && { id }) };
        case 'failed':
          return { clientId, state, ...(id !== null && { id }), error: error ?? 'The message was refused.' };
        case 'saving':
        case 'unknown':
          throw new ToolError('The message could not be stored on disk in time; it was not sent.');
        default:
          return { clientId, state: 'pending' };
      }
    },

    /**
     * Received messages with an id above `afterId` (or, without it, arriving after the call), from `peer` or
     * any friend: at once if there are some, else when the first arrive, else `timedOut` after the timeout.
     * Aborting `signal` ends the wait at once.
     */
    async waitForMessages(
      args: { peer?: string; afterId?: number; timeoutSeconds?: number },
      signal?: AbortSignal,
    ): Promise<WaitResult> {
      const friends = await knownFriends();
      if (args.peer !== undefined && !friends.some((f) => f.username === args.peer)) {
        throw new ToolError(`${args.peer} is not one of your friends.`);
      }
      const relevant = (list: FriendBody[]) =>
        args.peer === undefined ? list : list.filter((f) => f.username === args.peer);
      const cursor =
        args.afterId ??
        Math.max(
          0,
          ...relevant(friends).map((f) => f.lastMessageId ?? 0),
          ...[...watched.keys()].flatMap((p) => client.watched(p)?.messages.at(-1)?.id ?? 0),
        );
      const releases = new Map<string, () => void>();
      const collect = (): (MessageResult & { peer: string })[] => {
        const found: (MessageResult & { peer: string })[] = [];
        for (const f of relevant(client.friends())) {
          // A named peer's conversation is held open from the start: when polling, it is fetched every 2 s
          // rather than found at the friends list's next poll (10 s).
          const named = args.peer !== undefined;
          if (!named && (f.lastMessageId ?? 0) <= cursor && !releases.has(f.username)) continue;
          if (!releases.has(f.username)) releases.set(f.username, hold(f.username));
          const conversation = client.watched(f.username);
          if (!conversation?.loaded) continue;
          for (const m of conversation.messages) {
            if (m.id > cursor && m.direction === 'received')
              found.push({ ...messageResult(m), peer: f.username });
          }
        }
        return found.sort((a, b) => a.id - b.id);
      };
      const timeoutMs = (args.timeoutSeconds ?? 30) * 1000;
      try {
        let found = collect();
        if (found.length > 0) return { messages: found, timedOut: false };
        waiting++;
        const outcome = await client
          .until(
            () => {
              found = collect();
              return found.length > 0;
            },
            timeoutMs,
            'messages',
            signal,
          )
          .then(
            () => 'found' as const,
            () => (signal?.aborted ? ('aborted' as const) : ('timedOut' as const)),
          )
          .finally(() => {
            waiting--;
          });
        if (outcome === 'aborted') throw new ToolError('The wait was cancelled.');
        return { messages: outcome === 'found' ? found : [], timedOut: outcome === 'timedOut' };
      } finally {
        for (const release of releases.values()) release();
      }
    },
  };
}
