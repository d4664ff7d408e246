import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseParser, parseSse, type SseRecord } from '../../src/api/sse';

const feed = (chunks: string[]) => {
  const parser = createSseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
};

describe('the server-sent-events parser', () => {
  it('dispatches an event with its type, data and id at the blank line', () => {
    expect(parseSse('id: 7\nevent: presence\ndata: {"a":1}\n\n')).toEqual([
      { kind: 'event', type: 'presence', data: '{"a":1}', id: '7' },
    ]);
  });

  it('calls an event without an event field "message"', () => {
    expect(parseSse('data: hi\n\n')).toEqual([{ kind: 'event', type: 'message', data: 'hi', id: '' }]);
  });

  it('joins several data lines with a line feed', () => {
    expect(parseSse('data: one\ndata:two\ndata\n\n')).toEqual([
      { kind: 'event', type: 'message', data: 'one\ntwo\n', id: '' },
    ]);
  });

  it('drops exactly one space after the colon and keeps the rest', () => {
    expect(parseSse('data:  two spaces\n\n')).toEqual([
      { kind: 'event', type: 'message', data: ' two spaces', id: '' },
    ]);
  });

  it('ignores comment lines, such as the keep-alive', () => {
    expect(parseSse(': keep-alive\n\n:another\ndata: x\n\n')).toEqual([
      { kind: 'event', type: 'message', data: 'x', id: '' },
    ]);
  });

  it('ignores fields it does not know', () => {
    expect(parseSse('foo: bar\ndata: x\nbaz\n\n')).toEqual([
      { kind: 'event', type: 'message', data: 'x', id: '' },
    ]);
  });

  it('reports an id with no data as a new position, and keeps it for the events that follow', () => {
    expect(parseSse('retry: 2000\nid: 12\n\nevent: friend\ndata: {}\n\n')).toEqual([
      { kind: 'retry', ms: 2000 },
      { kind: 'position', id: '12' },
      { kind: 'event', type: 'friend', data: '{}', id: '12' },
    ]);
  });

  it('ignores an id that contains NUL', () => {
    expect(parseSse('id: 1\n\nid: 2\0\ndata: x\n\n')).toEqual([
      { kind: 'position', id: '1' },
      { kind: 'event', type: 'message', data: 'x', id: '1' },
    ]);
  });

  it('accepts retry only when it is all digits', () => {
    expect(parseSse('retry: 15s\nretry: -1\nretry: 300\n\n')).toEqual([{ kind: 'retry', ms: 300 }]);
  });

  it('forgets the event type and data after each dispatch and dispatches nothing for an empty block', () => {
    expect(parseSse('event: presence\n\ndata: a\n\n\n\ndata: b\n\n')).toEqual([
      { kind: 'event', type: 'message', data: 'a', id: '' },
      { kind: 'event', type: 'message', data: 'b', id: '' },
    ]);
  });

  it.each([
    ['LF', '\n'],
    ['CR', '\r'],
    ['CRLF', '\r\n'],
  ])('ends lines with %s', (_, eol) => {
    expect(parseSse(`event: friend${eol}data: a${eol}data: b${eol}${eol}`)).toEqual([
      { kind: 'event', type: 'friend', data: 'a\nb', id: '' },
    ]);
  });

  it('treats a CR at the end of one chunk and a LF at the start of the next as one line ending', () => {
    expect(feed(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([
      { kind: 'event', type: 'message', data: 'a\nb', id: '' },
    ]);
  });

  it('joins a line cut across chunks', () => {
    expect(feed(['da', 'ta: he', 'llo', '\n', '\n'])).toEqual([
      { kind: 'event', type: 'message', data: 'hello', id: '' },
    ]);
  });

  it('drops a byte order mark at the start of the stream only', () => {
    expect(feed(['', '\uFEFFdata: x\n\n', '\uFEFFdata: y\n\n'])).toEqual([
      { kind: 'event', type: 'message', data: 'x', id: '' },
    ]);
  });

  it('does not dispatch an event whose closing blank line never came', () => {
    expect(parseSse('data: complete\n\ndata: cut off\n')).toEqual([
      { kind: 'event', type: 'message', data: 'complete', id: '' },
    ]);
  });
});

/** Text without line breaks (and, for ids, without NUL), as a field value on the wire can hold. */
const lineText = fc.string({ unit: 'binary' }).map((s) => s.replace(/[\r\n]/g, ''));
const idText = lineText.map((s) => s.replace(/\0/g, ''));

const streamBlock = fc.record({
  type: fc.option(fc.constantFrom('message', 'presence', 'delivered', 'x-new')),
  id: fc.option(idText),
  data: fc.array(lineText, { maxLength: 3 }),
  comment: fc.option(lineText),
});

describe('the parser over arbitrary chunking', () => {
  it('yields the same records for any split of a valid stream into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(streamBlock, { maxLength: 6 }),
        fc.constantFrom('\n', '\r', '\r\n'),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        (blocks, eol, bom, cuts) => {
          let text = bom ? '\uFEFF' : '';
          const expected: SseRecord[] = [];
          let lastId = '';
          for (const block of blocks) {
            const lines: string[] = [];
            if (block.comment !== null) lines.push(`:${block.comment}`);
            if (block.type !== null) lines.push(`event: ${block.type}`);
            if (block.id !== null) lines.push(`id: ${block.id}`);
            for (const line of block.data) lines.push(`data: ${line}`);
            text += lines.map((line) => line + eol).join('') + eol;
            if (block.id !== null) lastId = block.id;
            if (block.data.length > 0) {
              const type = block.type ?? 'message';
              expected.push({ kind: 'event', type, data: block.data.join('\n'), id: lastId });
            } else if (block.id !== null) {
              expected.push({ kind: 'position', id: lastId });
            }
          }
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...points].map((from, i) => text.slice(from, [...points, text.length][i]));
          expect(parseSse(text)).toEqual(expected);
          expect(feed(chunks)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
