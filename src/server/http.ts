import { hash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as v from 'valibot';
import { describeIssues, type ErrorBody, type ErrorCode, STATUS_BY_CODE } from '../contract';

/** A refusal with the status, code and sentence of API.md; the error handler turns it into the error body. */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
  get status() {
    return STATUS_BY_CODE[this.code];
  }
}

export const errorBody = (code: ErrorCode, error: string): ErrorBody => ({ success: false, error, code });

/** Validates with a shared schema; a failure is a 400 with the first problem as a sentence. */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (!result.success) throw new HttpError('bad_request', describeIssues(result.issues));
  return result.output;
}

/**
 * `parse` for a route's query string, remembering the last `maxEntries` valid ones by their raw text: a
 * polling client asks with the same query again and again, and validating it was about 4 % of a loaded poll.
 * Results are frozen, as they are shared; a query that fails is checked afresh every time.
 */
export function queryParser<S extends v.GenericSchema>(schema: S, maxEntries = 1000) {
  const known = new Map<string, Readonly<v.InferOutput<S>>>();
  return (request: FastifyRequest): Readonly<v.InferOutput<S>> => {
    const mark = request.url.indexOf('?');
    const raw = mark < 0 ? '' : request.url.slice(mark + 1);
    const remembered = known.get(raw);
    if (remembered !== undefined) return remembered;
    const parsed = Object.freeze(parse(schema, request.query));
    if (known.size >= maxEntries) known.delete(known.keys().next().value as string);
    known.set(raw, parsed);
    return parsed;
  };
}

/** Sends `body` as JSON with an ETag, or 304 when the client already holds that representation. */
export function sendWithETag(request: FastifyRequest, reply: FastifyReply, body: unknown) {
  const json = JSON.stringify(body);
  const etag = `"${hash('sha1', json, 'base64url')}"`;
  reply.header('etag', etag);
  if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  return reply.type('application/json; charset=utf-8').send(json);
}

/** Whether `If-None-Match` names `etag` (or `*`); weak tags match too, as for GET they must. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header === etag) return true; // what a polling client sends, checked without splitting
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}
