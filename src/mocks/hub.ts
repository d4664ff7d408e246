import type { PushEvent } from '../api/schemas';

/**
 * The mock's event fan-out, the same rules as the reference server's memory hub: every change for a user
 * is numbered (`<epoch>-<n>`), kept for replay (at least the last 1,000 or 10 minutes) and handed to the
 * user's open streams; a resume from an id it no longer holds, or from another epoch, gets 'reset'.
 */
export interface HubEvent {
  id: string;
  event: PushEvent;
}

export interface StreamSink {
  send(event: HubEvent): void;
  /** Asked to end: too many streams for the user, or the backend closes streams. */
  end(): void;
}

export interface Subscription {
  replay: HubEvent[] | 'reset';
  /** The id a fresh stream can resume from. */
  position: string;
  unsubscribe(): void;
}

export interface MockHubOptions {
  now: () => number;
  retainCount?: number;
  retainMs?: number;
  hardCap?: number;
  maxStreamsPerUser?: number;
}

interface Held {
  seq: number;
  at: number;
  event: PushEvent;
}

interface Channel {
  events: Held[];
  droppedThrough: number;
  sinks: Set<StreamSink>;
}

export type MockHub = ReturnType<typeof createMockHub>;

export function createMockHub(options: MockHubOptions) {
  const { now } = options;
  const retainCount = options.retainCount ?? 1000;
  const retainMs = options.retainMs ?? 10 * 60_000;
  const hardCap = options.hardCap ?? 5000;
  const maxStreams = options.maxStreamsPerUser ?? 32;
  const channels = new Map<number, Channel>();
  let seq = 0;
  let epoch = newEpoch();

  const format = (n: number) => `${epoch}-${n}`;
  const parse = (id: string): number | null => {
    const dash = id.lastIndexOf('-');
    if (dash < 0 || id.slice(0, dash) !== epoch) return null;
    const n = Number(id.slice(dash + 1));
    return Number.isSafeInteger(n) && n >= 0 && n <= seq ? n : null;
  };
  const channel = (userId: number): Channel => {
    let found = channels.get(userId);
    if (!found) {
      found = { events: [], droppedThrough: 0, sinks: new Set() };
      channels.set(userId, found);
    }
    return found;
  };
  const endStreams = (userId?: number) => {
    const targets = userId === undefined ? [...channels.values()] : [channels.get(userId)];
    for (const ch of targets) for (const sink of [...(ch?.sinks ?? [])]) sink.end();
  };
  const prune = (ch: Channel, at: number) => {
    while (ch.events.length > retainCount) {
      const oldest = ch.events[0] as Held;
      if (ch.events.length <= hardCap && oldest.at > at - retainMs) break;
      ch.events.shift();
      ch.droppedThrough = oldest.seq;
    }
  };

  return {
    publish(userId: number, event: PushEvent) {
      const ch = channel(userId);
      const held: Held = { seq: ++seq, at: now(), event };
      ch.events.push(held);
      prune(ch, held.at);
      const out = { id: format(held.seq), event };
      // A copy: a sink that ends during dispatch must not disturb the iteration.
      for (const sink of [...ch.sinks]) sink.send(out);
    },

    subscribe(userId: number, lastEventId: string | null, sink: StreamSink): Subscription {
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

    hasStream: (userId: number): boolean => (channels.get(userId)?.sinks.size ?? 0) > 0,
    streamCount(userId?: number): number {
      if (userId !== undefined) return channels.get(userId)?.sinks.size ?? 0;
      let total = 0;
      for (const ch of channels.values()) total += ch.sinks.size;
      return total;
    },

    /** Ends the user's streams (or everyone's), as a server restart or a proxy timeout would. */
    endStreams,

    /** Drops the events held for replay, so the next resume gets 'reset' (events lost in a restart). */
    forget(userId?: number) {
      const targets = userId === undefined ? [...channels.values()] : [channels.get(userId)];
      for (const ch of targets) {
        if (!ch) continue;
        ch.events = [];
        ch.droppedThrough = seq;
      }
    },

    reset() {
      endStreams();
      channels.clear();
      seq = 0;
      // A new epoch: ids handed out before the reset are foreign now, as after a server restart.
      epoch = newEpoch();
    },
  };
}

function newEpoch(): string {
  const random = crypto.getRandomValues(new Uint8Array(3));
  return `${Date.now().toString(36)}${[...random].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
