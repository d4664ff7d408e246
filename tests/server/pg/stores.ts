/**
 * Both stores, for tests that run the same sentences on each: a fresh SQLite in memory, or a fresh
 * database on this test file's own throw-away PostgreSQL server (started before its first test, stopped
 * after its last). Every store opened here is closed after each test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { openPostgresStore } from '../../../src/server/store/postgres';
import { openSqliteStore } from '../../../src/server/store/sqlite';
import type { Store } from '../../../src/server/store/store';
import { type PgInstance, startPostgres } from './instance';

/** Starting a server (initdb and all) on a loaded two-core machine. */
export const PG_START_TIMEOUT_MS = 90_000;

/** This file's PostgreSQL server: `createDatabase()` works from the first test on. */
export function testPostgres() {
  let instance: PgInstance | undefined;
  beforeAll(async () => {
    instance = await startPostgres();
  }, PG_START_TIMEOUT_MS);
  afterAll(async () => {
    await instance?.stop();
  });
  return {
    createDatabase(): Promise<string> {
      if (!instance)
        throw new Error('The test PostgreSQL server did not start (see the error of beforeAll).');
      return instance.createDatabase();
    },
  };
}

export interface StoreKind {
  name: 'SQLite' | 'PostgreSQL';
  /** A store on an empty database. */
  open(): Promise<Store>;
}

/** The two Store implementations, each opening stores that are closed after every test. */
export function storeKinds(): StoreKind[] {
  const pg = testPostgres();
  const opened: Store[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });
  const keep = (store: Store) => {
    opened.push(store);
    return store;
  };
  return [
    { name: 'SQLite', open: async () => keep(openSqliteStore(':memory:')) },
    {
      name: 'PostgreSQL',
      open: async () => keep(await openPostgresStore(await pg.createDatabase(), { max: 4 })),
    },
  ];
}
