import { HttpResponse } from 'msw';
import type { HubEvent, StreamSink, Subscription } from './hub';
import type { MockUser } from './store';
import type { MockWorld } from './world';

const frame = ({ id, event }: HubEvent) =>
  `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;

const RESET_REASON = 'Events since Last-Event-ID are no longer held; fetch everything again.';

/**
 * GET /api/events as a `text/event-stream` body: the retry hint and the stream's position, then what was
 * missed since `Last-Event-ID` (or a `reset`), then every new event, with a keep-alive comment every
 * `keepAliveMs`. The stream counts as open (presence, `delivered`) until the request is aborted, the body
 * is cancelled, or the backend ends it. msw does not cancel the body when the client aborts, so the
 * request's signal is what tells the mock that the client went away: a client must abort, not just stop reading.
 */
export function eventStreamResponse(
  world: MockWorld,
  me: MockUser,
  request: Request,
  keepAliveMs: number,
): Response {
  const encoder = new TextEncoder();
  let end = () => {};

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      let keepAlive: ReturnType<typeof setInterval> | undefined;
      const write = (text: string) => {
        if (open) controller.enqueue(encoder.encode(text));
      };
      const sink: StreamSink = { send: (event) => write(frame(event)), end: () => end() };
      const lastEventId = request.headers.get('last-event-id');
      const subscription: Subscription = world.hub.subscribe(me.id, lastEventId, sink);
      world.presence.streamOpened(me.id);

      const onAbort = () => end();
      end = () => {
        if (!open) return;
        open = false;
        clearInterval(keepAlive);
        request.signal.removeEventListener('abort', onAbort);
        subscription.unsubscribe();
        world.presence.streamClosed(me.id);
        try {
          controller.close();
        } catch {
          // Already errored or cancelled by the reader: nothing left to close.
        }
      };

      write(`retry: 2000\nid: ${subscription.position}\n\n`);
      if (subscription.replay === 'reset') {
        write(frame({ id: subscription.position, event: { type: 'reset', data: { reason: RESET_REASON } } }));
      } else {
        for (const event of subscription.replay) write(frame(event));
      }

      if (keepAliveMs > 0) {
        keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
        // In Node, an open mock stream must not keep the test process alive.
        if (typeof keepAlive === 'object' && 'unref' in keepAlive) keepAlive.unref();
      }
      if (request.signal.aborted) end();
      else request.signal.addEventListener('abort', onAbort);
    },
    cancel() {
      end();
    },
  });

  return new HttpResponse(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    },
  });
}
