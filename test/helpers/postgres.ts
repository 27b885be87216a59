/**
 * A database of its own for a test file, on the server the global setup started (or the one named
 * by MEDFUSION_TEST_DATABASE_URL), with the SDK's tables migrated.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { migrate } from 'medfusion-patient-sdk/postgres';

export interface TestDatabase {
  /** Connection string of the new database, for worker processes. */
  url: string;
  /** A pool on it. */
  pool: Pool;
  /** Ends the pool and drops the database. */
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = process.env.MEDFUSION_TEST_DATABASE_URL;
  if (!admin) throw new Error('no test database: the Jest global setup did not run');
  const name = `medfusion_test_${randomBytes(5).toString('hex')}`;
  const root = new Pool({ connectionString: admin, max: 1 });
  await root.query(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 10 });
  // node-postgres reports an idle connection the server ended as a pool 'error' event.
  pool.on('error', () => undefined);
  await migrate(pool);
  return {
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      await root.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await root.end();
    },
  };
}
