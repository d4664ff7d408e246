// bench:ui's server child: the real server (`createApp`, as in src/server/main.ts) on the built UI, in a
// process of its own, on a temp SQLite file, with cheap password hashing and a raised send limit (the burst
// sends 50 messages/s from one user; the default limit is 20/s); seeded by seeding.ts before it listens.
// Usage: node --import tsx bench/ui/serve.ts '<UiServeOptions as JSON>'; prints one JSON line, UiServeReady.
import { createApp } from '../../src/server/app';
import { openSqliteStore } from '../../src/server/store/sqlite';
import { pinServedBuild } from '../../src/server/uiBuild';
import { listen, runChild, SETUP_HASHING, serveUntilStopped } from '../serve/child';
import { seedConversation, type UiServeOptions, type UiServeReady } from './seeding';

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as UiServeOptions;
  const app = await createApp({
    store: openSqliteStore(options.dbPath),
    // The build dist/ points at now, pinned as src/server/main.ts does.
    staticDir: pinServedBuild(options.staticDir)?.dir ?? null,
    // Cheap hashing: signing in is not what is measured.
    hashing: SETUP_HASHING,
    // The burst is 50 messages/s from one sender; the default limit (20/s) would refuse most of it.
    sendRate: { capacity: 1000, perSecond: 1000 },
  });
  const seeded = await seedConversation(app, options.messages);
  const port = await listen(app);
  const ready: UiServeReady = { port, pid: process.pid, ...seeded };
  serveUntilStopped(app, options.dbPath, ready);
}

runChild('bench/ui/serve.ts', main);
