/**
 * The server-sent-events wire format, parsed as the WHATWG HTML standard says ("Parsing an event stream"),
 * without EventSource: Parley reads `/api/events` with fetch so the Authorization header and an
 * AbortSignal work everywhere. Pure and incremental: text goes in as it arrives, in chunks cut anywhere
 * (even between the CR and LF of one line ending), and the same records come out however it was cut.
 */

/** What one stream yields, in order. */
export type SseRecord =
  /** A dispatched event; `id` is the last event ID at that point ('' when none was ever set). */
  | { kind: 'event'; type: string; data: string; id: string }
  /** An event block that set an `id:` but carried no data: only the stream's position moved. */
  | { kind: 'position'; id: string }
  /** A `retry:` field: the reconnection delay the server asks for, in milliseconds. */
  | { kind: 'retry'; ms: number };

export interface SseParser {
  /** Feeds decoded text; answers the records completed by it. */
  push(text: string): SseRecord[];
}

const BOM = '\uFEFF';

export function createSseParser(): SseParser {
  let started = false;
  /** The current line, not yet ended. */
  let line = '';
  /** The previous chunk ended with CR, so a LF opening the next one belongs to that same line ending. */
  let afterCR = false;
  let data = '';
  let hasData = false;
  let eventType = '';
  let lastEventId = '';
  let idInBlock = false;

  function field(name: string, value: string, out: SseRecord[]) {
    switch (name) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case 'id':
        // The standard ignores an id containing NUL: it could not be sent back in a header.
        if (!value.includes('\0')) {
          lastEventId = value;
          idInBlock = true;
        }
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) out.push({ kind: 'retry', ms: Number(value) });
        break;
      // Any other field name is ignored, as the standard says.
    }
  }

  function dispatch(out: SseRecord[]) {
    if (hasData) out.push({ kind: 'event', type: eventType || 'message', data, id: lastEventId });
    else if (idInBlock) out.push({ kind: 'position', id: lastEventId });
    data = '';
    hasData = false;
    eventType = '';
    idInBlock = false;
  }

  function processLine(text: string, out: SseRecord[]) {
    if (text === '') return dispatch(out);
    if (text.startsWith(':')) return; // a comment: the server's keep-alive
    const colon = text.indexOf(':');
    if (colon === -1) return field(text, '', out);
    const value = text.slice(colon + 1);
    field(text.slice(0, colon), value.startsWith(' ') ? value.slice(1) : value, out);
  }

  return {
    push(chunk) {
      const out: SseRecord[] = [];
      let text = chunk;
      if (!started && text.length > 0) {
        started = true;
        // Only one BOM, at the very start of the stream, is dropped; a later one is data.
        if (text.startsWith(BOM)) text = text.slice(1);
      }
      let from = 0;
      if (afterCR && text.startsWith('\n')) from = 1;
      if (text.length > 0) afterCR = false;
      for (let i = from; i < text.length; i++) {
        const c = text[i];
        if (c !== '\r' && c !== '\n') continue;
        processLine(line + text.slice(from, i), out);
        line = '';
        if (c === '\r') {
          if (i + 1 === text.length) afterCR = true;
          else if (text[i + 1] === '\n') i++;
        }
        from = i + 1;
      }
      line += text.slice(from);
      return out;
    },
  };
}

/** Parses a whole stream at once. A last block without its closing blank line is not dispatched. */
export function parseSse(text: string): SseRecord[] {
  return createSseParser().push(text);
}
