/**
 * The client side of the backend contract, for the browser and Node alike. The Node transport (undici)
 * lives in './node' and is imported from there, so browser bundles stay free of it.
 */
export {
  type ApiClientOptions,
  createApiClient,
  DEFAULT_STREAM_IDLE_MS,
  DEFAULT_TIMEOUT_MS,
  type FetchLike,
} from './client';
export { parseRetryAfter } from './decode';
export { createSseParser, parseSse, type SseParser, type SseRecord } from './sse';
