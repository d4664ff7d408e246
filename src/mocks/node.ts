import { setupServer } from 'msw/node';
import { createMockBackend, type MockBackend, type MockBackendOptions } from './backend';

/**
 * The mock backend behind msw's Node interceptor, for tests. It intercepts the global `fetch` (and
 * node:http); undici's own `fetch`/`request` bypass it, which is how a test reaches a real server alongside.
 * The caller starts it (`server.listen({ onUnhandledRequest: 'error' })`) and stops it (`server.close()`).
 */
export function createMockServer(options: MockBackendOptions): {
  server: ReturnType<typeof setupServer>;
  backend: MockBackend;
} {
  const backend = createMockBackend(options);
  return { server: setupServer(...backend.handlers), backend };
}
