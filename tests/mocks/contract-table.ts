/**
 * The shape of the contract table's rows and the helpers that write them. Each row is one call of API.md
 * and what any backend must answer; contract.test.ts runs every row against the reference server and the
 * MSW full mock, each in a world of its own made the same way (users `<k>_a` and `<k>_b` who are friends,
 * `<k>_c` who is nobody's friend).
 */
import * as v from 'valibot';
import { expect } from 'vitest';
import type { ErrorCode } from '../../src/contract';
import type { Call, CallSpec, Reply } from './support';

export interface CaseWorld {
  a: string;
  b: string;
  c: string;
  token: { a: string; b: string; c: string };
  /** Ids of the messages exchanged for the row (`exchange`), a → b first, then alternating. */
  ids: number[];
  call: Call;
  /** Whatever `given` recorded for the request (an ETag, an id). */
  extra: Record<string, string>;
}

export interface Expectation {
  status: number;
  code?: ErrorCode;
  etag?: boolean;
  body?: (json: unknown, w: CaseWorld) => void | Promise<void>;
}

export interface ContractCase {
  name: string;
  exchange?: number;
  given?: (w: CaseWorld) => Promise<void>;
  request: (w: CaseWorld) => CallSpec;
  expect: Expectation;
}

export const ok =
  <S extends v.GenericSchema>(status: number, schema: S, etag?: boolean) =>
  (check?: (body: v.InferOutput<S>, w: CaseWorld) => void | Promise<void>): Expectation => ({
    status,
    etag,
    body: (json, w) => check?.(v.parse(schema, json), w),
  });

export const refused = (status: number, code: ErrorCode): Expectation => ({ status, code });
export const empty = (status: number, etag?: boolean): Expectation => ({
  status,
  etag,
  body: (json) => expect(json).toBeUndefined(),
});

export const PASSWORD = 'correct horse';
export const get = (path: string, token?: string, headers?: Record<string, string>): CallSpec => ({
  path,
  token,
  headers,
});
export const post = (path: string, body: unknown, token?: string): CallSpec => ({ path, body, token });
export const etagOf = (reply: Reply) => reply.headers.get('etag') ?? 'none';
export const messagesOf = (w: CaseWorld, query = '') => `/api/messages?peer=${w.b}${query}`;
export const sendTo = (to: string, content: string, clientId?: string) => ({
  to,
  content,
  ...(clientId ? { clientId } : {}),
});
