/** Event streams read in this process, for the fan-out scenarios: each `message` event timed on arrival. */
import { performance } from 'node:perf_hooks';
import type { Agent, Dispatcher } from 'undici';

/** An open event stream, read in this process; `message` events are timed on arrival. */
export interface OpenStream {
  index: number;
  received: Map<string, number>;
  duplicates: number;
  close(): void;
}

/**
 * Opens GET /api/events through undici's Agent with a bare dispatch handler: response bytes come straight
 * from the HTTP parser, without a Readable stream per response, so reading 1,000 streams costs this process
 * as little as it can and the measured latency is mostly the server's.
 */
function openStream(
  agent: Agent,
  origin: string,
  token: string,
  index: number,
  onMessage: (clientId: string, at: number) => void,
): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | null = null;
    let started = false;
    let closed = false;
    let buffer = '';
    const stream: OpenStream = {
      index,
      received: new Map(),
      duplicates: 0,
      close: () => {
        closed = true;
        controller?.abort(new Error('closed by the benchmark'));
      },
    };
    const handleFrame = (frame: string, at: number) => {
      if (!frame.includes('\nevent: message\n')) return;
      const data = frame.indexOf('\ndata: ');
      if (data < 0) return;
      const end = frame.indexOf('\n', data + 7);
      const clientId = (
        JSON.parse(frame.slice(data + 7, end < 0 ? undefined : end)) as { clientId: string | null }
      ).clientId;
      if (clientId === null) return;
      if (stream.received.has(clientId)) stream.duplicates++;
      else stream.received.set(clientId, at);
      onMessage(clientId, at);
    };
    agent.dispatch(
      {
        origin,
        path: '/api/events',
        method: 'GET',
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      },
      {
        onRequestStart(c) {
          controller = c;
        },
        onResponseStart(c, statusCode) {
          if (statusCode !== 200) {
            reject(new Error(`GET /api/events answered ${statusCode}`));
            c.abort(new Error(`status ${statusCode}`));
            return;
          }
          started = true;
          resolve(stream);
        },
        onResponseData(_c, chunk) {
          const at = performance.now();
          buffer += chunk.toString('utf8');
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            handleFrame(`\n${buffer.slice(0, end)}`, at);
            buffer = buffer.slice(end + 2);
          }
        },
        onResponseEnd() {
          if (!started) reject(new Error('GET /api/events ended before it started'));
        },
        onResponseError(_c, error) {
          if (!started) reject(error);
          else if (!closed) process.stderr.write(`  ! stream ${index} failed: ${error.message}\n`);
        },
      },
    );
  });
}

export async function openStreams(
  agent: Agent,
  base: string,
  tokens: string[],
  onMessage: (clientId: string, at: number) => void,
): Promise<OpenStream[]> {
  const streams: OpenStream[] = [];
  // In batches, so the listen backlog is never overrun.
  for (let i = 0; i < tokens.length; i += 100) {
    const batch = tokens.slice(i, i + 100);
    streams.push(
      ...(await Promise.all(batch.map((token, j) => openStream(agent, base, token, i + j, onMessage)))),
    );
  }
  return streams;
}
