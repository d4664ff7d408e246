import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('./src/ui', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  publicDir: fileURLToPath(new URL('./public', import.meta.url)),
  // npm start and npm run build (scripts/build-ui.ts) pass an outDir of their own, a new folder in dist.builds/;
  // a bare `vite build` would empty the build that dist points at while servers use it.
  build: { outDir: fileURLToPath(new URL('./dist', import.meta.url)), emptyOutDir: true },
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    projects: [
      {
        extends: true,
        test: {
          name: 'server',
          include: ['tests/server/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        // The route suites again, every app on PostgreSQL (a throw-away server per file, a schema per app).
        extends: true,
        test: {
          name: 'server-pg',
          include: ['tests/server/{status-auth,friends,messages,errors,events,presence}.test.ts'],
          environment: 'node',
          setupFiles: ['tests/server/pg/routes-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 90_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'core',
          include: ['tests/{api,machines,mocks,client,inspector,layout}/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'mcp',
          include: ['tests/mcp/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'ui',
          include: ['tests/ui/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: ['tests/ui/setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'model',
          include: ['tests/model/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/e2e/global-setup.ts'],
          // One browser and one server at a time, after the other projects: a two-core machine is busy enough.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          expect: { poll: { timeout: 30_000, interval: 100 } },
        },
      },
    ],
  },
});
