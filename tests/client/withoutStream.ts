import { ApiError, type ParleyApi } from '../../machines/ports';
import { createNodeApiClient } from '../../src/api/node';

/** The real API over undici, but like the original backend: no event stream, so the client must poll. */
export function withoutStream(baseUrl: string): ParleyApi & { close(): Promise<void> } {
  const api = createNodeApiClient(baseUrl);
  return {
    ...api,
    events: async () => {
      throw new ApiError({ kind: 'http', status: 404, message: 'There is no GET /api/events here.' });
    },
  };
}
