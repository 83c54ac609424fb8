/**
 * Stores for tests, on both dialects: a SQLite file in a temporary folder, and a fresh
 * PostgreSQL database on the server of TEST_DATABASE_URL (default: the machine's local
 * PostgreSQL). Without a reachable PostgreSQL its tests are skipped, unless
 * REQUIRE_POSTGRES_TESTS=1 (CI) makes that a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Store, type StoreDialect } from '../../store/store.js';

export const storeDialects: StoreDialect[] = ['sqlite', 'postgres'];

/** The PostgreSQL server the tests use (TEST_DATABASE_URL; default the machine's own). */
export const postgresServerUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const serverUrl = postgresServerUrl;

export interface TestStore {
  store: Store;
  /** What the product reads: DATABASE_URL (PostgreSQL) or SQLITE_PATH (SQLite). */
  env: { DATABASE_URL?: string; SQLITE_PATH?: string };
  /** Closes the store and deletes its file or database. */
  dispose(): Promise<void>;
}

let postgresReachable: Promise<boolean> | undefined;

/** Skips the calling test (or fails it under REQUIRE_POSTGRES_TESTS=1) when PostgreSQL is not reachable. */
export async function requireDialect(context: Mocha.Context, dialect: StoreDialect): Promise<void> {
  if (dialect === 'sqlite') return;
  postgresReachable ??= admin((client) => client.query('select 1')).then(() => true, () => false);
  if (await postgresReachable) return;
  if (process.env.REQUIRE_POSTGRES_TESTS === '1') throw new Error(`PostgreSQL is not reachable at ${serverUrl} and REQUIRE_POSTGRES_TESTS=1`);
  context.skip();
}

export async function openTestStore(dialect: StoreDialect): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'fcai-store-'));
    const env = { SQLITE_PATH: join(dir, 'store.sqlite') };
    const store = new Store({ sqlitePath: env.SQLITE_PATH });
    return { store, env, dispose: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const name = `fcai_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const env = { DATABASE_URL: url.toString() };
  const store = new Store({ databaseUrl: env.DATABASE_URL, sqlitePath: '' });
  return {
    store,
    env,
    dispose: async () => {
      await store.close();
      await admin((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
