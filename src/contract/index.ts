/**
 * The contract: ../shared/API.md in code. The bottom floor of the project: it imports nothing of the
 * project (only valibot), and everything else may import it: the core (types only), the HTTP client, the
 * server, the mocks, the UI. A test (tests/layout.test.ts) fails if a file here imports anything else.
 */
export * from './errors';
export * from './limits';
export * from './schemas';
