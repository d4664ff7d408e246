/** API.md's error answers: the codes, the status of each, the body, and how a failed parse reads to a person. */
import * as v from 'valibot';

export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal',
] as const;

/** API.md's status for each error code: the contract, shared by the server and the mock. */
export const STATUS_BY_CODE: Record<(typeof ERROR_CODES)[number], number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
};

export const ErrorResponse = v.object({
  success: v.literal(false),
  error: v.string(),
  code: v.picklist(ERROR_CODES),
});

export type ErrorCode = (typeof ERROR_CODES)[number];
export type ErrorBody = v.InferOutput<typeof ErrorResponse>;

/** The first issue of a failed parse, as a sentence for a person ("username: A username is …"). */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return 'The request is not valid.';
  const path = v.getDotPath(issue);
  if (issue.type === 'strict_object') {
    // valibot quotes the offending key in `received` (unknown) or `expected` (missing).
    if (issue.expected === 'never') return `Unknown field ${path ? `"${path}"` : issue.received}.`;
    if (issue.received === 'undefined' && path) return `${path} is required.`;
    return 'The request must be a JSON object.';
  }
  if (issue.received === 'undefined' && path) return `${path} is required.`;
  return path ? `${path}: ${issue.message}` : issue.message;
}
