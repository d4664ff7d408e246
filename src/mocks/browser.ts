import { setupWorker } from 'msw/browser';
import { createMockBackend, type MockBackend, type MockBackendOptions } from './backend';

export interface DemoOptions extends Partial<MockBackendOptions> {
  /** Fills the fresh backend (users, friends, messages) before the first request is answered. */
  seed?: (backend: MockBackend) => void;
}

/**
 * Demo mode: the page's own /api calls are answered in the browser by the mock backend, through msw's
 * service worker. That needs `mockServiceWorker.js` at the site root (`npx msw init public`). Requests
 * that are not /api calls (the page's own files) pass through untouched.
 */
export async function startDemoWorker(options: DemoOptions = {}) {
  const { seed, ...backendOptions } = options;
  const backend = createMockBackend({ variant: 'full', baseUrl: '', ...backendOptions });
  seed?.(backend);
  const worker = setupWorker(...backend.handlers);
  await worker.start({ onUnhandledRequest: 'bypass', quiet: true });
  return { worker, backend };
}
