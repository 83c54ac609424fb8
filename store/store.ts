/**
 * The product's SQL store, through Kysely: an embedded SQLite file by default, PostgreSQL
 * when DATABASE_URL is set. Opening never connects; the first use runs the migrations. A
 * store that is down makes its callers fail (activities retry, reports answer 503) and is
 * tried again on the next use: it never stops the worker or the API from starting.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import pg from 'pg';
import { storeMigrations } from './migrations.js';
import type { StoreSchema } from './schema.js';

export type StoreDialect = 'sqlite' | 'postgres';

export interface StoreConfig {
  /** postgres://… (DATABASE_URL): PostgreSQL. Absent: SQLite at `sqlitePath`. */
  databaseUrl?: string;
  sqlitePath: string;
}

/** The default SQLite file, relative to the working directory (`npm start` keeps everything under .data/). */
export const defaultSqlitePath = '.data/freshchat-ai.sqlite';

export interface StoreStatus {
  dialect: StoreDialect;
  /** Where the store is, without credentials. */
  location: string;
  reachable: boolean;
  /** Migrations known to this build and not applied yet (empty when current). */
  pendingMigrations: string[];
  error?: string;
}

export class StoreUnavailableError extends Error {
  constructor(location: string, cause: unknown) {
    super(`the session store at ${location} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

export class Store {
  readonly db: Kysely<StoreSchema>;
  readonly dialect: StoreDialect;
  readonly location: string;
  private migrated?: Promise<void>;

  constructor(config: StoreConfig) {
    if (config.databaseUrl) {
      this.dialect = 'postgres';
      this.location = redactedUrl(config.databaseUrl);
      const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 5, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
      // An idle client that loses its server must not crash the process; the next query reconnects.
      pool.on('error', () => undefined);
      this.db = new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
    } else {
      this.dialect = 'sqlite';
      this.location = config.sqlitePath;
      this.db = new Kysely<StoreSchema>({
        dialect: new SqliteDialect({
          database: async () => {
            if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
            const database = new SQLite(config.sqlitePath);
            // The worker writes while the API reads reports: WAL lets both proceed; a locked file waits, not fails.
            database.pragma('journal_mode = WAL');
            database.pragma('busy_timeout = 5000');
            return database;
          },
        }),
      });
    }
  }

  /** Migrations applied once per process; a failure (store down) is retried on the next call. */
  ready(): Promise<void> {
    this.migrated ??= this.migrate().catch((error) => {
      this.migrated = undefined;
      throw new StoreUnavailableError(this.location, error);
    });
    return this.migrated;
  }

  async status(): Promise<StoreStatus> {
    const base = { dialect: this.dialect, location: this.location };
    try {
      const migrations = await this.migrator().getMigrations();
      return { ...base, reachable: true, pendingMigrations: migrations.filter((m) => !m.executedAt).map((m) => m.name) };
    } catch (error) {
      return { ...base, reachable: false, pendingMigrations: [], error: error instanceof Error ? error.message : String(error) };
    }
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  private async migrate(): Promise<void> {
    const { error } = await this.migrator().migrateToLatest();
    if (error) throw error;
  }

  private migrator(): Migrator {
    return new Migrator({ db: this.db, provider: storeMigrations });
  }
}

export function openStore(env: { DATABASE_URL?: string; SQLITE_PATH?: string }): Store {
  return new Store({ databaseUrl: env.DATABASE_URL, sqlitePath: env.SQLITE_PATH ?? defaultSqlitePath });
}

function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return 'DATABASE_URL (unparsable)';
  }
}
