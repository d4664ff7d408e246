/**
 * Reading `/api/events` once it answered 200: bytes → text (TextDecoder in stream mode, so a character
 * cut between chunks survives) → SSE records (sse.ts) → events decoded with the shared schemas → handlers.
 * The read resolves when the server ends the stream and rejects with an ApiError otherwise.
 */
import * as v from 'valibot';
import type { EventStreamHandlers, PushEvent } from '../../machines/ports';
import { describeIssues, EventSchemas, type PushEventType } from '../contract';
import { decodeError } from './decode';
import { failure, type Guard } from './guard';
import { createSseParser, type SseRecord } from './sse';

const isEventType = (type: string): type is PushEventType => Object.hasOwn(EventSchemas, type);

/** One event's data, checked against its schema; a malformed event fails the stream rather than being skipped. */
function decodeEvent(type: PushEventType, data: string, id: string): PushEvent & { id: string | null } {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw decodeError(`The server sent a "${type}" event whose data is not valid JSON.`);
  }
  const result = v.safeParse(EventSchemas[type], json);
  if (!result.success) {
    throw decodeError(
      `The server sent a "${type}" event in an unexpected form (${describeIssues(result.issues)}).`,
    );
  }
  // The schema was chosen by `type`, so the pair is one member of the PushEvent union.
  return { type, data: result.output, id: id === '' ? null : id } as PushEvent & { id: string | null };
}

function deliver(records: SseRecord[], handlers: EventStreamHandlers) {
  for (const record of records) {
    if (record.kind === 'event') {
      // Event types from a newer server are ignored, so adding one is not a breaking change.
      if (isEventType(record.type)) handlers.onEvent(decodeEvent(record.type, record.data, record.id));
    } else if (record.kind === 'position') {
      handlers.onPosition(record.id);
    }
    // `retry:` is not followed: when to reconnect is the connection machine's decision, with its own backoff.
  }
}

export async function readEventStream(
  response: Response,
  handlers: EventStreamHandlers,
  guard: Guard,
  idleMs: number,
): Promise<void> {
  // A backend without a stream may answer its web page with 200 (a single-page app's fallback route).
  const contentType = response.headers.get('content-type');
  if (contentType !== null && !/^\s*text\/event-stream\b/i.test(contentType)) {
    throw decodeError('The server did not answer with an event stream.', response.status);
  }
  if (!response.body)
    throw decodeError('The server answered the event stream with no body.', response.status);

  const reader = response.body.getReader();
  // The parser drops the BOM itself, so the decoder must keep it (it would drop one, the parser another).
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const parser = createSseParser();
  // From here on silence, not total duration, is what counts: the stream is meant to stay open.
  guard.rearm(idleMs, failure.idle);
  try {
    handlers.onOpen();
    for (;;) {
      const chunk = await guard.race(reader.read(), failure.broken);
      if (chunk.done) {
        deliver(parser.push(decoder.decode()), handlers);
        return;
      }
      guard.rearm(idleMs, failure.idle);
      deliver(parser.push(decoder.decode(chunk.value, { stream: true })), handlers);
    }
  } catch (error) {
    void reader.cancel().catch(() => {});
    throw error;
  }
}
