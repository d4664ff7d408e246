import type { FastifyInstance } from 'fastify';
import type { AuthUser, ServerContext } from '../context';
import type { HubEvent, StreamSink } from '../hub';

/** A client this far behind is dropped; it resumes with Last-Event-ID once it can read again. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const frames = new WeakMap<HubEvent, Buffer>();

/**
 * An event as a stream frame, serialized and encoded once however many streams it goes to (one user may
 * hold many, and a fan-out writes the same bytes to each).
 */
function frame(hubEvent: HubEvent): Buffer {
  let bytes = frames.get(hubEvent);
  if (bytes === undefined) {
    const { id, event } = hubEvent;
    bytes = Buffer.from(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
    frames.set(hubEvent, bytes);
  }
  return bytes;
}

export function eventRoutes(app: FastifyInstance, ctx: ServerContext) {
  app.get('/api/events', async (request, reply) => {
    const me = request.user as AuthUser;
    const lastEventId = request.headers['last-event-id'];
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });

    let open = true;
    const socket = res.socket;
    const write = (bytes: Buffer | string) => {
      if (!open) return;
      // Node corks the socket on every write and sends on the next tick: a fan-out to 1,000 streams would
      // send nothing until the last one was written. Corked here and uncorked at once, each stream's frame
      // leaves in one write as soon as it is made, while the next streams are still being written.
      socket?.cork();
      res.write(bytes);
      socket?.uncork();
      if (res.writableLength > MAX_BUFFERED_BYTES) end();
    };
    const sink: StreamSink = { send: (event) => write(frame(event)), end: () => end() };
    const subscription = ctx.hub.subscribe(me.id, typeof lastEventId === 'string' ? lastEventId : null, sink);
    // Counted at once (the await below only announces it), so a client gone before then still balances.
    const announced = ctx.presence.streamOpened(me.id, me.username);
    const keepAlive = setInterval(() => write(': keep-alive\n\n'), ctx.keepAliveMs);

    function end() {
      if (!open) return;
      open = false;
      clearInterval(keepAlive);
      subscription.unsubscribe();
      ctx.presence.streamClosed(me.id);
      res.end();
    }
    // 'close' fires when the client goes away and after our own end(): cleanup runs once either way.
    res.on('close', end);
    res.on('error', end);

    // The retry hint, then where this stream stands, then anything missed since Last-Event-ID.
    write(`retry: 2000\nid: ${subscription.position}\n\n`);
    if (subscription.replay === 'reset') {
      write(
        frame({
          id: subscription.position,
          event: {
            type: 'reset',
            data: { reason: 'Events since Last-Event-ID are no longer held; fetch everything again.' },
          },
        }),
      );
    } else {
      for (const event of subscription.replay) write(frame(event));
    }
    await announced;
  });
}
