import { networkInterfaces } from 'node:os';

export interface ServerConfig {
  host: string;
  port: number;
  dbPath: string;
  /** A PostgreSQL URL: the data lives there (several instances may share it) instead of in `dbPath`. */
  databaseUrl: string | null;
  allowedHosts: string[];
}

/**
 * Reads HOST, PORT, DB_PATH, DATABASE_URL and ALLOWED_HOSTS; a bad value stops start-up with a sentence,
 * not a stack trace.
 */
export function readConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const host = env.HOST?.trim() || '127.0.0.1';
  const portText = env.PORT?.trim() || '8080';
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new Error(`PORT must be a number from 0 to 65535 (0 picks a free port), not "${env.PORT}".`);
  }
  const dbPath = env.DB_PATH?.trim() || './data/parley.db';
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  // The value is not repeated in the sentence: it may hold a password.
  if (databaseUrl !== null && !/^postgres(ql)?:\/\/./.test(databaseUrl)) {
    throw new Error(
      'DATABASE_URL must be a PostgreSQL URL: postgres://user:password@host:5432/database (or postgresql://).',
    );
  }
  const extra = (env.ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return {
    host,
    port,
    dbPath,
    databaseUrl,
    allowedHosts: [host.toLowerCase(), ...extra, ...wildcardNames(host)],
  };
}

/** Bound to every interface, the server answers to this machine's own addresses too. */
function wildcardNames(host: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return [];
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((i) => (i ? [i.address.toLowerCase()] : []));
}
