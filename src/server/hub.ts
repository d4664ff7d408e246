import type { PushEvent } from '../contract';

/**
 * The fan-out: every change for a user goes through `publish`, which numbers it, keeps it for replay and
 * hands it to the user's open streams. This in-memory hub serves one server process; a pub/sub hub for
 * several instances is planned as another implementation of the same interface. It imports nothing from
 * Node, so the MSW mock backend runs the very same hub in the browser.
 */
export interface Hub {
  publish(userId: number, event: PushEvent): void;
  /**
   * Attaches a stream. With a `Last-Event-ID` it first answers what the stream missed, or 'reset' when those
   * events are no longer held; `position` is the id a fresh stream can resume from.
   */
  subscribe(userId: number, lastEventId: string | null, sink: StreamSink): Subscription;
  hasStream(userId: number): boolean;
  streamCount(userId?: number): number;
  /** Ends every stream (server shutdown). */
  close(): void;
}

export interface HubEvent {
  id: string;
  event: PushEvent;
}

export interface StreamSink {
  send(event: HubEvent): void;
  /** Asked to end, e.g. when the user holds too many streams or the server stops. */
  end(): void;
}

export interface Subscription {
  replay: HubEvent[] | 'reset';
  position: string;
  unsubscribe(): void;
}

export interface MemoryHubOptions {
  now?: () => number;
  /** Events kept per user for replay, at the least (newer events within `retainMs` are kept too, up to `hardCap`). */
  retainCount?: number;
  retainMs?: number;
  hardCap?: number;
  /** When a user opens more streams than this, the oldest is ended. */
  maxStreamsPerUser?: number;
}

interface Held {
  seq: number;
  at: number;
  event: PushEvent;
}

interface UserChannel {
  events: Held[];
  /** The seq of the newest event dropped from `events`: a resume from before it cannot be complete. */
  droppedThrough: number;
  sinks: Set<StreamSink>;
}

export interface MemoryHub extends Hub {
  /** Ends the user's streams (or everyone's), as a restart or a proxy timeout would. */
  endStreams(userId?: number): void;
  /** Drops the events held for replay, so the next resume gets 'reset' (events lost in a restart). */
  forget(userId?: number): void;
}

export function createMemoryHub(options: MemoryHubOptions = {}): MemoryHub {
  const now = options.now ?? Date.now;
  const retainCount = options.retainCount ?? 1000;
  const retainMs = options.retainMs ?? 10 * 60_000;
  const hardCap = options.hardCap ?? 5000;
  const maxStreams = options.maxStreamsPerUser ?? 32;
  // Ids carry this process's epoch: after a restart, an id from the old process is recognised as foreign.
  const random = globalThis.crypto.getRandomValues(new Uint8Array(3));
  const epoch = `${Date.now().toString(36)}${[...random].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  const channels = new Map<number, UserChannel>();
  let seq = 0;

  const format = (n: number) => `${epoch}-${n}`;
  const parse = (id: string): number | null => {
    const dash = id.lastIndexOf('-');
    if (dash < 0 || id.slice(0, dash) !== epoch) return null;
    const n = Number(id.slice(dash + 1));
    return Number.isSafeInteger(n) && n >= 0 && n <= seq ? n : null;
  };

  const channel = (userId: number): UserChannel => {
    let found = channels.get(userId);
    if (!found) {
      found = { events: [], droppedThrough: 0, sinks: new Set() };
      channels.set(userId, found);
    }
    return found;
  };

  const prune = (ch: UserChannel, at: number) => {
    while (ch.events.length > retainCount) {
      const oldest = ch.events[0] as Held;
      if (ch.events.length <= hardCap && oldest.at > at - retainMs) break;
      ch.events.shift();
      ch.droppedThrough = oldest.seq;
    }
  };

  const endStreams = (userId?: number) => {
    const targets = userId === undefined ? [...channels.values()] : [channels.get(userId)];
    // A copy: ending a stream unsubscribes it from the set being walked.
    for (const ch of targets) for (const sink of [...(ch?.sinks ?? [])]) sink.end();
  };

  return {
    publish(userId, event) {
      const ch = channel(userId);
      const held: Held = { seq: ++seq, at: now(), event };
      ch.events.push(held);
      prune(ch, held.at);
      const out = { id: format(held.seq), event };
      // A copy: a sink that ends itself (or another) during dispatch must not disturb the iteration.
      for (const sink of [...ch.sinks]) sink.send(out);
    },

    subscribe(userId, lastEventId, sink) {
      const ch = channel(userId);
      let replay: HubEvent[] | 'reset' = [];
      if (lastEventId !== null) {
        const from = parse(lastEventId);
        if (from === null || from < ch.droppedThrough) replay = 'reset';
        else
          replay = ch.events.filter((h) => h.seq > from).map((h) => ({ id: format(h.seq), event: h.event }));
      }
      ch.sinks.add(sink);
      if (ch.sinks.size > maxStreams) {
        const oldest = ch.sinks.values().next().value as StreamSink;
        ch.sinks.delete(oldest);
        oldest.end();
      }
      return {
        replay,
        position: format(seq),
        unsubscribe: () => {
          ch.sinks.delete(sink);
        },
      };
    },

    hasStream(userId) {
      return (channels.get(userId)?.sinks.size ?? 0) > 0;
    },

    streamCount(userId) {
      if (userId !== undefined) return channels.get(userId)?.sinks.size ?? 0;
      let total = 0;
      for (const ch of channels.values()) total += ch.sinks.size;
      return total;
    },

    endStreams,

    forget(userId) {
      const targets = userId === undefined ? [...channels.values()] : [channels.get(userId)];
      for (const ch of targets) {
        if (!ch) continue;
        ch.events = [];
        ch.droppedThrough = seq;
      }
    },

    close() {
      endStreams();
    },
  };
}
