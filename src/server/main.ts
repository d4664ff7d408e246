import { fileURLToPath } from 'node:url';
import { createApp } from './app';
import { readConfig, type ServerConfig } from './config';
import { openPostgresStore } from './store/postgres';
import { openSqliteStore } from './store/sqlite';
import type { Store } from './store/store';
import { pinServedBuild } from './uiBuild';

/** How long a graceful stop may take before the process exits anyway. */
const SHUTDOWN_LIMIT_MS = 5000;

/** PostgreSQL when DATABASE_URL names a database (shared by every instance), else the SQLite file. */
async function openStore(config: ServerConfig): Promise<Store> {
  if (config.databaseUrl === null) return openSqliteStore(config.dbPath);
  try {
    return await openPostgresStore(config.databaseUrl);
  } catch (error) {
    // Where, without the user and password.
    const url = URL.canParse(config.databaseUrl) ? new URL(config.databaseUrl) : null;
    const where = url ? ` ${url.host}${url.port ? '' : ':5432'}${url.pathname}` : '';
    const why = (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
    throw new Error(`The PostgreSQL database${where} could not be opened: ${why}.`);
  }
}

async function main() {
  const config = readConfig(process.env);
  const store = await openStore(config);
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
