/**
 * Databases on the test Postgres (scripts/services/postgres.ts): each test case gets a database of
 * its own, so what one case's catalog stores never shows up in another's rows.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { postgresService } from './services.js';

/** Creates an empty database and returns its URL (same server and test credentials). */
export async function freshPostgresDatabase(prefix = 'floe'): Promise<string> {
  const admin = new URL(postgresService().url);
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  await withPostgres(admin.href, (client) => client.query(`CREATE DATABASE ${name}`));
  admin.pathname = `/${name}`;
  return admin.href;
}

/** Runs `use` with one connection to `url`, closed afterwards. */
export async function withPostgres<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Rows of one query, outside any catalog: the independent view of what a catalog stored. */
export async function postgresRows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  return withPostgres(url, async (client) => (await client.query(sql)).rows as Record<string, unknown>[]);
}
