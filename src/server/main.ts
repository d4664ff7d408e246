import { fileURLToPath } from 'node:url';
import { createApp } from './app';
import { readConfig } from './config';
import { openSqliteStore } from './store/sqlite';
import { pinServedBuild } from './uiBuild';

/** How long a graceful stop may take before the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 5000;

async function main() {
  const config = readConfig(process.env);
  const store = openSqliteStore(config.dbPath);
  // The build `dist` points at now, by its real path: @fastify/static lists its files once, at start, so a
  // build swapped in later (another instance's `npm start`) reaches this one only when it restarts. The
  // folder is pinned, so no later build removes it while this process runs.
  const served = pinServedBuild(fileURLToPath(new URL('../../dist', import.meta.url)));
  const app = await createApp({
    store,
    allowedHosts: config.allowedHosts,
    staticDir: served?.dir ?? null,
    // Quiet until listening, so the URL is the first line printed; requests are logged after that.
    logger: {
      level: 'warn',
      redact: { paths: ['req.headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
    },
  });
  const address = await app.listen({ host: config.host, port: config.port });
  const { port } = new URL(address);
  const shown = config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(`Parley listening on http://${shown}:${port}\n`);
  app.log.level = process.env.LOG_LEVEL ?? 'info';

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: stopping`);
    setTimeout(() => {
      process.stderr.write('Parley: shutdown took too long; exiting.\n');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(
          `Parley: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Parley could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
