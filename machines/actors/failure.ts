import { type ApiFailure, isApiFailure } from '../ports';

/** Any rejection as an ApiFailure: an ApiError as it is, anything else (a bug) as a sentence. */
export function toFailure(error: unknown): ApiFailure {
  if (isApiFailure(error)) {
    const { kind, message, status, code, retryAfter } = error;
    return {
      kind,
      message,
      ...(status !== undefined && { status }),
      ...(code !== undefined && { code }),
      ...(retryAfter !== undefined && { retryAfter }),
    };
  }
  return { kind: 'decode', message: error instanceof Error ? error.message : String(error) };
}

/** The server could not be reached: the connection should go offline. */
export const meansOffline = (f: ApiFailure): boolean =>
  f.kind === 'network' ||
  f.kind === 'timeout' ||
  (f.kind === 'http' && [502, 503, 504].includes(f.status ?? 0));
