/**
 * A throw-away PostgreSQL server, as a test file gets one: `initdb` into a temp folder, started with `pg_ctl`
 * on a free loopback port (its unix socket in that folder too), trust authentication, durability off;
 * stopped and removed by `stop()`, or at the latest when the test process exits.
 *
 * The binaries are Debian's (`/usr/lib/postgresql/<version>/bin`, the newest; `PG_BIN` overrides), installed
 * by `npm test` when missing. PostgreSQL refuses to run as root, so under root the server runs as the
 * `postgres` user that the Debian package creates, in a folder given to it.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

export interface PgInstance {
  /** The URL of a database on this server (`postgres://postgres@127.0.0.1:PORT/name`). */
  url(database: string): string;
  /** Creates an empty database and answers its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server at once and removes its folder. */
  stop(): Promise<void>;
}

/** initdb and a start take a few seconds; on a loaded two-core machine, several times that. */
const START_TIMEOUT_MS = 60_000;

/** The folder of Debian's PostgreSQL binaries, or a sentence saying how to get them. */
export function findPgBin(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'initdb'))) throw new Error(`PG_BIN=${fromEnv} has no initdb in it.`);
    return fromEnv;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      'Tests that need PostgreSQL found no server binaries under /usr/lib/postgresql/*/bin: ' +
        'run them with "npm test" (which installs Debian\'s postgresql as root), ' +
        'or "sudo apt-get install -y postgresql", or set PG_BIN.',
    );
  }
  return join(root, newest, 'bin');
}

/** The user the server runs as: ourselves, or `postgres` when we are root. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'Running as root, the test PostgreSQL server needs the "postgres" user (created by Debian\'s postgresql package).',
    );
  }
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
function command(bin: string, args: string[], asPostgres: boolean): [string, string[]] {
  return asPostgres ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

function run(file: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`${[file, ...args].join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A port nothing listens on right now (the server may still lose it to a racer: the start is retried). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no free port'));
      });
    });
  });
}

let databases = 0;

export async function startPostgres(): Promise<PgInstance> {
  const bin = findPgBin();
  const user = serverUser();
  const asPostgres = user !== null;
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const pgCtl = join(bin, 'pg_ctl');
  const deadline = Date.now() + START_TIMEOUT_MS;
  const left = () => Math.max(1000, deadline - Date.now());

  // Stops the server even when the test process ends without calling stop() (a failed hook, Ctrl-C).
  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    const [file, args] = command(
      pgCtl,
      ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '10'],
      asPostgres,
    );
    if (existsSync(join(data, 'postmaster.pid'))) spawnSync(file, args, { cwd: dir, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopNow);

  let port = 0;
  try {
    const [initFile, initArgs] = command(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      asPostgres,
    );
    await run(initFile, initArgs, dir, left());
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const settings = [
        `-c port=${port}`,
        "-c listen_addresses='127.0.0.1'",
        `-c unix_socket_directories='${dir}'`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      const seconds = String(Math.ceil(left() / 1000));
      const [ctlFile, ctlArgs] = command(
        pgCtl,
        ['start', '-D', data, '-l', log, '-w', '-t', seconds, '-o', settings],
        asPostgres,
      );
      try {
        await run(ctlFile, ctlArgs, dir, left() + 5000);
        break;
      } catch (error) {
        const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
        // Another process took the port between our check and the server's bind: try another one.
        if (attempt < 3 && /could not bind|Address already in use/.test(text)) continue;
        throw new Error(`${(error as Error).message}\nserver log:\n${text}`);
      }
    }
  } catch (error) {
    stopNow();
    process.removeListener('exit', stopNow);
    throw error;
  }

  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const admin = postgres(url('postgres'), { max: 1, onnotice: () => {} });
  return {
    url,
    async createDatabase() {
      databases += 1;
      const name = `parley_${process.pid}_${databases}`;
      // A language's collation, as production databases often have (the server's own locale is C): text
      // then sorts unlike bytes, and a query that needs byte order has to say so. ICU needs PostgreSQL 15.
      try {
        await admin.unsafe(
          `CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`,
        );
      } catch {
        await admin.unsafe(`CREATE DATABASE ${name}`);
      }
      return url(name);
    },
    async stop() {
      await admin.end({ timeout: 1 });
      stopNow();
      process.removeListener('exit', stopNow);
    },
  };
}
