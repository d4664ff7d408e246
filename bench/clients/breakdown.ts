/**
 * BENCH_BREAKDOWN=1: where each message's time goes. Every client's API is wrapped to time when a send is
 * posted and answered and when the recipient's stream parsed it, so that run's heap figure is not the
 * client's alone.
 */
import { performance } from 'node:perf_hooks';
import type { NodeApiClient } from '../../src/api/node';
import { spread } from '../shared/stats';

/** Times (performance.now) a message reached each stage, by clientId; filled only with BENCH_BREAKDOWN=1. */
const stages = new Map<string, { posted?: number; answered?: number; pushed?: number }>();
const stage = (clientId: string) => {
  const entry = stages.get(clientId) ?? {};
  stages.set(clientId, entry);
  return entry;
};

/** The API with time stamps: when the send is posted and answered, and when the recipient's stream parsed it. */
export function timed(api: NodeApiClient): NodeApiClient {
  return {
    ...api,
    send(token, message, opts) {
      stage(message.clientId).posted = performance.now();
      return api.send(token, message, opts).then((answer) => {
        stage(message.clientId).answered = performance.now();
        return answer;
      });
    },
    events(token, lastEventId, handlers, opts) {
      return api.events(
        token,
        lastEventId,
        {
          ...handlers,
          onEvent(event) {
            if (event.type === 'message' && event.data.direction === 'received' && event.data.clientId)
              stage(event.data.clientId).pushed = performance.now();
            handlers.onEvent(event);
          },
        },
        opts,
      );
    },
  };
}

export type Breakdown = Record<string, { p50: number; p99: number; max: number }>;

/**
 * send() → POST issued, POST → recipient's stream parsed it, POST → answer, parsed → shown, over the messages
 * in `times` (clientId → [sent, shown]); then forgets the stages.
 */
export function breakdownOf(times: Map<string, [number, number]>): Breakdown {
  const spans: Record<string, number[]> = {
    toPost: [],
    postToPush: [],
    postToAnswer: [],
    pushToShown: [],
  };
  for (const [id, [sent, shown]] of times) {
    const t = stages.get(id);
    if (t?.posted === undefined || t.pushed === undefined || t.answered === undefined) continue;
    spans.toPost?.push(t.posted - sent);
    spans.postToPush?.push(t.pushed - t.posted);
    spans.postToAnswer?.push(t.answered - t.posted);
    spans.pushToShown?.push(shown - t.pushed);
  }
  stages.clear();
  return Object.fromEntries(Object.entries(spans).map(([name, values]) => [name, spread(values)]));
}
