/**
 * The `server-pg` project's setup: the route suites it names run as they are, but every app `makeApp` makes
 * without a store of its own gets PostgreSQL: a schema of its own (`?search_path=` in the URL, migrated
 * like a new database) in one database on this file's throw-away server. A schema costs a few
 * milliseconds where a database costs a hundred or more, and the suites make an app per test.
 */
import postgres from 'postgres';
import { afterAll, afterEach } from 'vitest';
import { openPostgresStore } from '../../../src/server/store/postgres';
import type { Store } from '../../../src/server/store/store';
import { setDefaultStore } from '../helpers';
import { testPostgres } from './stores';

const pg = testPostgres();
const opened: Store[] = [];
let database: { url: string; sql: postgres.Sql } | undefined;
let schemas = 0;

setDefaultStore(async () => {
  if (!database) {
    const url = await pg.createDatabase();
    database = { url, sql: postgres(url, { max: 1, onnotice: () => {} }) };
  }
  schemas += 1;
  const schema = `app_${schemas}`;
  await database.sql.unsafe(`CREATE SCHEMA ${schema}`);
  const store = await openPostgresStore(`${database.url}?search_path=${schema}`, { max: 2 });
  opened.push(store);
  return store;
});

// Most tests leave their app open (an in-memory SQLite needs no closing); a PostgreSQL pool does.
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await database?.sql.end({ timeout: 1 });
});
