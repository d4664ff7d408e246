import { HttpResponse } from 'msw';
import * as v from 'valibot';
import {
  BODY_LIMIT_BYTES,
  describeIssues,
  type ErrorBody,
  type ErrorCode,
  STATUS_BY_CODE,
} from '../contract';

/** A refusal with API.md's status and code; the handler wrapper turns it into the error body. */
export class MockHttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Headers the reference server puts on every /api answer. */
const API_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new HttpResponse(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...API_HEADERS, ...headers },
  });
}

export function errorResponse(code: ErrorCode, error: string): Response {
  const body: ErrorBody = { success: false, error, code };
  return json(body, STATUS_BY_CODE[code]);
}

export const noContent = (): Response => new HttpResponse(null, { status: 204, headers: API_HEADERS });

export const INTERNAL_ERROR = 'Something went wrong on the server.';

/** Validates with a shared schema; a failure is a 400 with the first problem as a sentence, as the server says it. */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (!result.success) throw new MockHttpError('bad_request', describeIssues(result.issues));
  return result.output;
}

/** A JSON answer with an ETag, or 304 and no body when `If-None-Match` names it. */
export function withETag(request: Request, body: unknown): Response {
  const text = JSON.stringify(body);
  const etag = `"${hash(text)}"`;
  if (etagMatches(request.headers.get('if-none-match'), etag)) {
    return new HttpResponse(null, { status: 304, headers: { etag, ...API_HEADERS } });
  }
  return json(body, 200, { etag });
}

function etagMatches(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/**
 * A synchronous 64-bit string hash (two FNV-1a lanes): the server uses SHA-1 from node:crypto, which the
 * browser offers only asynchronously and only in secure contexts. An ETag needs to change with the body,
 * not to resist attack.
 */
function hash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(36) + (b >>> 0).toString(36);
}

/** The token of `Authorization: Bearer <token>`, parsed as leniently as the server parses it. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  const match = header ? /^Bearer +(\S+)\s*$/i.exec(header) : null;
  return match ? (match[1] as string) : null;
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/**
 * The body as Fastify hands it to a route, with its refusals in its order: a body that is not JSON
 * (a missing type with bytes included) is 415, then over 64 KiB is 413, then unparsable is 400. No bytes
 * (with or without the JSON type) is `undefined`, which the route's schema then refuses.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type');
  const bytes = await request.arrayBuffer();
  if (bytes.byteLength === 0 && (type === null || JSON_TYPE.test(type))) return undefined;
  if (type === null || !JSON_TYPE.test(type)) {
    throw new MockHttpError(
      'unsupported_media_type',
      'The request body must be JSON (Content-Type: application/json).',
    );
  }
  if (bytes.byteLength > BODY_LIMIT_BYTES) {
    throw new MockHttpError('payload_too_large', 'The request body is larger than 64 KiB.');
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new MockHttpError('bad_request', 'The request is malformed: the body must be valid JSON.');
  }
}
