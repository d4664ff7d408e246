/**
 * Turning an answer into either a value of the contract or an ApiError with a sentence for a person.
 * Nothing here throws anything but ApiError: HTML from a proxy, a truncated body, a 200 carrying an error
 * body or a field of the wrong type all end as kind 'decode', never as a TypeError in a machine.
 */
import * as v from 'valibot';
import { ApiError } from '../../machines/ports';
import { describeIssues, ErrorResponse } from '../contract';

/** Decodes a 2xx body with one of the shared schemas. `status` is kept so callers can judge the failure. */
export function decodeBody<S extends v.GenericSchema>(
  schema: S,
  text: string,
  status: number,
): v.InferOutput<S> {
  const json = parseJson(text, status);
  const result = v.safeParse(schema, json);
  if (!result.success) {
    throw decodeError(
      `The server's answer is not in the expected form (${describeIssues(result.issues)}).`,
      status,
    );
  }
  return result.output;
}

function parseJson(text: string, status: number): unknown {
  if (text.trim() === '')
    throw decodeError('The server sent an empty answer where data was expected.', status);
  try {
    return JSON.parse(text);
  } catch {
    // A login page or a proxy's error page is the usual culprit; saying so helps the person more.
    if (/^\s*</.test(text)) throw decodeError('The server answered with a web page instead of data.', status);
    throw decodeError('The server sent an answer that is not valid JSON (it may have been cut off).', status);
  }
}

export const decodeError = (message: string, status?: number) =>
  new ApiError({ kind: 'decode', message, ...(status === undefined ? {} : { status }) });

/** Sentences for error statuses whose body is not the contract's ErrorResponse (a proxy, an old backend). */
function statusSentence(status: number): string {
  if (status === 401) return 'You are not signed in, or your session has ended.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'The server does not know that address.';
  if (status === 429) return 'Too many requests in a short time; try again shortly.';
  if (status >= 500) return `The server ran into a problem (status ${status}).`;
  return `The server refused the request (status ${status}).`;
}

/**
 * A non-2xx answer as an ApiError of kind 'http': the server's own sentence and code when the body is
 * the contract's ErrorResponse, a sentence made from the status otherwise.
 */
export function httpError(status: number, text: string | null, retryAfterHeader: string | null, now: number) {
  let message = statusSentence(status);
  let code: string | undefined;
  if (text !== null) {
    try {
      const result = v.safeParse(ErrorResponse, JSON.parse(text));
      if (result.success && result.output.error.trim() !== '') {
        message = result.output.error;
        code = result.output.code;
      }
    } catch {
      // Not JSON: the status sentence stands.
    }
  }
  const retryAfter = parseRetryAfter(retryAfterHeader, now);
  return new ApiError({
    kind: 'http',
    message,
    status,
    ...(code === undefined ? {} : { code }),
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}

/**
 * `Retry-After` in seconds: either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). A date in the past
 * means "now" (0); anything unreadable is treated as absent rather than guessed.
 */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^[0-9]+$/.test(value)) return Number(value);
  // Date.parse also accepts odd forms like "5"; requiring a letter keeps it to real dates.
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
