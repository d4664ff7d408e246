/**
 * A small `text/event-stream` reader for the server tests: it opens `GET /api/events` over a real socket
 * with undici and splits the body into frames (the blocks between blank lines), keeping comment lines so
 * the keep-alive can be seen. Each frame is parsed as the WHATWG event-stream format reads it.
 */
import { type Dispatcher, request } from 'undici';

export interface SseFrame {
  /** The `id:` field, when the frame carries one. */
  id?: string;
  /** The `event:` field, when the frame carries one. */
  event?: string;
  /** The `data:` lines joined with `\n`, when the frame carries any. */
  data?: string;
  retry?: number;
  /** Comment lines (`: text`), without the colon and the one space after it. */
  comments: string[];
}

/** A frame with an event type and data: something the client acts on. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

export function parseFrame(block: string): SseFrame {
  const frame: SseFrame = { comments: [] };
  const data: string[] = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line === '') continue;
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).replace(/^ /, ''));
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) frame.retry = Number(value);
  }
  if (data.length > 0) frame.data = data.join('\n');
  return frame;
}

export interface OpenStreamOptions {
  dispatcher: Dispatcher;
  lastEventId?: string;
  /** How long to wait for the first frame; the stream is only known to be subscribed once it arrives. */
  timeoutMs?: number;
}

export interface SseStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first frame: `retry: 2000` and the stream's position. */
  first: SseFrame;
  /** Every frame received so far, the first included, in order. */
  frames: SseFrame[];
  /** The next frame not yet taken (comments included). */
  nextFrame(timeoutMs?: number): Promise<SseFrame>;
  /** The next event frame not yet taken, exactly: comment-only frames are passed over. */
  nextEvent(timeoutMs?: number): Promise<SseEvent>;
  /** Takes events until one of `type` (and matching `where`) arrives, passing over the others. */
  waitFor(type: string, where?: (data: unknown) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** The newest `id:` seen on this stream (what a reconnect sends as Last-Event-ID). */
  lastId(): string | undefined;
  /** Settles when the body ends: 'end' when the server ended it, 'error' when it broke or was aborted. */
  closed: Promise<'end' | 'error'>;
  /** Aborts the request from the client side. */
  abort(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Opens the event stream; a non-200 answer is returned with its JSON body in `error` instead. */
export async function openStream(
  baseUrl: string,
  token: string | null,
  options: OpenStreamOptions,
): Promise<SseStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const res = await request(`${baseUrl}/api/events`, {
    method: 'GET',
    headers,
    dispatcher: options.dispatcher,
    signal: controller.signal,
  });
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw new StreamRefused(res.statusCode, text);
  }

  const frames: SseFrame[] = [];
  const queue: SseFrame[] = [];
  const waiters = new Set<() => void>();
  let finished: 'end' | 'error' | null = null;
  let resolveClosed!: (how: 'end' | 'error') => void;
  const closed = new Promise<'end' | 'error'>((resolve) => {
    resolveClosed = resolve;
  });
  const wake = () => {
    for (const w of [...waiters]) w();
  };

  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        // Normalise line ends so a frame boundary is always "\n\n".
        buffer = buffer.replace(/\r\n?/g, '\n');
        let boundary = buffer.indexOf('\n\n');
        while (boundary >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const frame = parseFrame(block);
          frames.push(frame);
          queue.push(frame);
          boundary = buffer.indexOf('\n\n');
        }
        wake();
      }
      finished = 'end';
    } catch {
      finished = 'error';
    }
    resolveClosed(finished);
    wake();
  })();

  const nextFrame = (timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SseFrame> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const frame = queue.shift();
        if (frame) {
          done();
          resolve(frame);
        } else if (finished) {
          done();
          reject(new Error(`the event stream ended (${finished}) while a frame was awaited`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no event-stream frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const nextEvent = async (timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SseEvent> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const frame = await nextFrame(Math.max(1, until - Date.now()));
      if (frame.event === undefined && frame.data === undefined) continue;
      return {
        id: frame.id,
        event: frame.event ?? 'message',
        data: frame.data === undefined ? undefined : JSON.parse(frame.data),
      };
    }
  };

  const waitFor = async (
    type: string,
    where: (data: unknown) => boolean = () => true,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<SseEvent> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const ev = await nextEvent(Math.max(1, until - Date.now()));
      if (ev.event === type && where(ev.data)) return ev;
    }
  };

  const first = await nextFrame(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return {
    status: res.statusCode,
    headers: res.headers,
    first,
    frames,
    nextFrame,
    nextEvent,
    waitFor,
    lastId: () => frames.findLast((f) => f.id !== undefined)?.id,
    closed,
    abort: () => controller.abort(),
  };
}

export class StreamRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`the event stream was refused: ${status} ${body}`);
  }
}
