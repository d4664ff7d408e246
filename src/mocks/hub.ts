import {
  createMemoryHub,
  type HubEvent,
  type MemoryHub,
  type MemoryHubOptions,
  type StreamSink,
  type Subscription,
} from '../server/hub';

export type { HubEvent, StreamSink, Subscription };

/**
 * The mock's event fan-out is the reference server's own memory hub (it imports nothing from Node), so
 * ids, replay and `reset` follow exactly the same rules. `reset()` swaps in a fresh hub: a new epoch, as
 * after a server restart, so ids handed out before are foreign.
 */
export type MockHub = MemoryHub & { reset(): void };

export function createMockHub(options: MemoryHubOptions & { now: () => number }): MockHub {
  let hub = createMemoryHub(options);
  return {
    publish: (userId, event) => hub.publish(userId, event),
    subscribe: (userId, lastEventId, sink) => hub.subscribe(userId, lastEventId, sink),
    hasStream: (userId) => hub.hasStream(userId),
    streamCount: (userId) => hub.streamCount(userId),
    endStreams: (userId) => hub.endStreams(userId),
    forget: (userId) => hub.forget(userId),
    close: () => hub.close(),
    reset() {
      hub.close();
      hub = createMemoryHub(options);
    },
  };
}
