/**
 * PostgresCheckpointStore against a real PostgreSQL server (started by the Jest global setup) and
 * the sandbox: migration, at-least-once and exactly-once sync, leases, fencing, typed failures.
 */
import { Pool } from 'pg';
import {
  AbortError,
  LeaseHeldError,
  LeaseLostError,
  MedfusionClient,
  MemoryCheckpointStore,
  ConfigurationError,
  StateStoreError,
  ValidationError,
} from 'medfusion-patient-sdk';
import {
  PostgresCheckpointStore,
  SCHEMA_VERSION,
  migrate,
  type SqlPoolClient,
} from 'medfusion-patient-sdk/postgres';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

let db: TestDatabase;
let sb: Sandbox;
let client: MedfusionClient;
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(
    'CREATE TABLE patients (practice_patient_id text NOT NULL, page_cursor text)',
  );
  sb = await startSandbox();
  sb.seedRegisteredPatients(230);
  client = new MedfusionClient({
    baseUrl: sb.url,
    practiceId: sb.practiceId,
    credentials: sb.credentials,
  });
});
afterAll(async () => {
  await sb.close();
  await db.drop();
});
beforeEach(() => db.pool.query('TRUNCATE patients'));

/** A store on its own checkpoint row, so tests do not share cursors. */
const storeFor = (
  options: Partial<ConstructorParameters<typeof PostgresCheckpointStore>[0]> = {},
) =>
  new PostgresCheckpointStore({
    pool: db.pool,
    practiceId: sb.practiceId,
    environment: `test-${++n}`,
    ...options,
  });

const insertPage = async (tx: SqlPoolClient, ids: string[], cursor: string | undefined) => {
  for (const id of ids)
    await tx.query('INSERT INTO patients VALUES ($1, $2)', [id, cursor ?? null]);
};
const tableIds = async (): Promise<string[]> =>
  (await db.pool.query<{ id: string }>('SELECT practice_patient_id AS id FROM patients')).rows.map(
    (r) => r.id,
  );

describe('migrate', () => {
  it('is idempotent and safe to run concurrently', async () => {
    await Promise.all([
      migrate(db.pool),
      migrate(db.pool),
      migrate(db.pool, { schema: 'medfusion' }),
    ]);
    const v = await db.pool.query<{ v: number }>(
      'SELECT max(version) AS v FROM medfusion.schema_version',
    );
    expect(v.rows[0]?.v).toBe(SCHEMA_VERSION);
    const rows = await db.pool.query('SELECT count(*)::int AS c FROM medfusion.schema_version');
    expect(rows.rows[0]).toEqual({ c: SCHEMA_VERSION });
  });

  it('creates the tables in a schema of your choice, and refuses a schema name that is not an identifier', async () => {
    await migrate(db.pool, { schema: 'mf_other' });
    const t = await db.pool.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mf_other' ORDER BY 1",
    );
    expect(t.rows.map((r: { table_name: string }) => r.table_name)).toEqual([
      'checkpoints',
      'invitation_batches',
      'invitation_patients',
      'schema_version',
    ]);
    await expect(
      migrate(db.pool, { schema: 'x"; DROP TABLE patients; --' }),
    ).rejects.toBeInstanceOf(StateStoreError);
  });
});

describe('sync with PostgresCheckpointStore', () => {
  it('at-least-once: delivers every patient, saves the cursor and releases the lease', async () => {
    const store = storeFor();
    const seen: string[] = [];
    const result = await client.patients.sync({
      checkpoint: store,
      onPage: async (page) => void seen.push(...page.patients.map((p) => p.practicePatientId)),
    });
    expect(new Set(seen).size).toBe(230);
    const row = await store.read();
    expect(row?.cursor).toBe(result.cursor);
    expect(row?.holder).toBeUndefined();
    expect(row?.leaseExpiresAt).toBeUndefined();
    expect(row?.fence).toBe('1');
    // The next run starts where this one ended: nothing new.
    const again = await client.patients.sync({ checkpoint: store, onPage: async () => undefined });
    expect(again.patients).toBe(0);
    expect((await store.read())?.fence).toBe('2');
  });

  it('exactly-once: the page is written through the transaction that moves the cursor', async () => {
    const store = storeFor();
    const result = await client.patients.sync({
      delivery: 'exactly-once',
      checkpoint: store,
      max: 50,
      onPage: (page, tx) =>
        insertPage(
          tx,
          page.patients.map((p) => p.practicePatientId),
          page.cursor,
        ),
    });
    expect(result.patients).toBe(230);
    const ids = await tableIds();
    expect(ids).toHaveLength(230);
    expect(new Set(ids).size).toBe(230);
    const last = await db.pool.query('SELECT DISTINCT page_cursor FROM patients');
    expect(last.rows.map((r: { page_cursor: string }) => r.page_cursor)).toContain(result.cursor);
    expect(await store.load()).toBe(result.cursor);
  });

  it('exactly-once: a failing onPage rolls its writes back and leaves the cursor where it was', async () => {
    const store = storeFor();
    let pages = 0;
    const failure = new Error('user failure');
    await expect(
      client.patients.sync({
        delivery: 'exactly-once',
        checkpoint: store,
        max: 100,
        onPage: async (page, tx) => {
          await insertPage(
            tx,
            page.patients.map((p) => p.practicePatientId),
            page.cursor,
          );
          if (++pages === 2) throw failure;
        },
      }),
    ).rejects.toBe(failure);
    expect(await tableIds()).toHaveLength(100); // page 1 committed, page 2 rolled back
    const row = await store.read();
    const firstPageCursor = (await db.pool.query('SELECT DISTINCT page_cursor FROM patients'))
      .rows[0];
    expect(row?.cursor).toBe((firstPageCursor as { page_cursor: string }).page_cursor);
    expect(row?.holder).toBeUndefined(); // released on failure too
  });

  it('refuses exactly-once over a store without transactions, before any request', async () => {
    const before = sb.stats.requests;
    const options = {
      delivery: 'exactly-once',
      checkpoint: new MemoryCheckpointStore(),
      onPage: async () => undefined,
    } as const;
    // @ts-expect-error: the types refuse a store without transactions too
    const sync = client.patients.sync(options);
    await expect(sync).rejects.toMatchObject({
      name: 'ValidationError',
      issues: [{ path: 'options.checkpoint' }],
    });
    expect(sb.stats.requests).toBe(before);
  });

  it('refuses a store keyed to another practice or API version, before any request', async () => {
    const before = sb.stats.requests;
    const other = storeFor({ practiceId: 'another-practice', apiVersion: 'v3' });
    const error = await client.patients
      .sync({ checkpoint: other, onPage: async () => undefined })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual([
      'checkpoint.practiceId',
      'checkpoint.apiVersion',
    ]);
    expect(sb.stats.requests).toBe(before);
  });
});

describe('leases', () => {
  it('a second sync of the practice fails fast with LeaseHeldError while the first runs', async () => {
    const store = storeFor({ holder: 'worker-a' });
    const second = new PostgresCheckpointStore({
      pool: db.pool,
      practiceId: sb.practiceId,
      environment: `test-${n}`,
      holder: 'worker-b',
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const first = client.patients.sync({
      checkpoint: store,
      prefetch: false, // so that the first sync sends nothing while it waits
      onPage: async () => {
        entered();
        await gate;
      },
    });
    await inside;
    const requests = sb.stats.requests;
    const error = await client.patients
      .sync({ checkpoint: second, onPage: async () => undefined })
      .catch((e) => e);
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect(error).toMatchObject({ holder: 'worker-a', waitedMs: 0 });
    expect((error as LeaseHeldError).expiresAt).toBeInstanceOf(Date);
    expect(sb.stats.requests).toBe(requests); // refused before its first GET
    release();
    await first;
  });

  it('with waitForLeaseMs, the second sync waits for the first and then continues from its cursor', async () => {
    const store = storeFor();
    const second = new PostgresCheckpointStore({
      pool: db.pool,
      practiceId: sb.practiceId,
      environment: `test-${n}`,
      waitForLeaseMs: 10_000,
    });
    const counts = { a: 0, b: 0 };
    const first = client.patients.sync({
      checkpoint: store,
      max: 50,
      onPage: async (page) => {
        counts.a += page.patients.length;
        await new Promise((r) => setTimeout(r, 30));
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    const b = await client.patients.sync({
      checkpoint: second,
      onPage: async (p) => void (counts.b += p.patients.length),
    });
    await first;
    expect(counts).toEqual({ a: 230, b: 0 });
    expect(b.patients).toBe(0);
  });

  it('waiting for a lease stops when the caller aborts', async () => {
    const store = storeFor();
    const run = await store.begin({ practiceId: sb.practiceId, apiVersion: 'v2' });
    const waiting = new PostgresCheckpointStore({
      pool: db.pool,
      practiceId: sb.practiceId,
      environment: `test-${n}`,
      waitForLeaseMs: 60_000,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      client.patients.sync({
        checkpoint: waiting,
        signal: controller.signal,
        onPage: async () => undefined,
      }),
    ).rejects.toBeInstanceOf(AbortError);
    await run.end();
  });

  it('fencing: a worker whose expired lease was taken over cannot move the cursor, even in a transaction', async () => {
    const a = storeFor({ leaseMs: 60_000, holder: 'a' });
    const b = new PostgresCheckpointStore({
      pool: db.pool,
      practiceId: sb.practiceId,
      environment: `test-${n}`,
      holder: 'b',
    });
    const runA = await a.begin({ practiceId: sb.practiceId, apiVersion: 'v2' });
    await runA.commit('100,1');
    // A stalls: its lease expires by the database clock (no renewal reached it in time).
    await db.pool.query(
      "UPDATE medfusion.checkpoints SET lease_expires_at = clock_timestamp() - interval '1 second' WHERE environment = $1",
      [`test-${n}`],
    );
    const runB = await b.begin({ practiceId: sb.practiceId, apiVersion: 'v2' });
    expect(runB.cursor).toBe('100,1');
    await runB.commit('200,2');

    // A wakes up, its lease not yet expired by its own clock: the fence refuses it anyway.
    const refused = await runA
      .commit('150,9', (tx) => insertPage(tx, ['SHOULD-ROLL-BACK'], '150,9'))
      .catch((e) => e);
    expect(refused).toBeInstanceOf(LeaseLostError);
    expect(refused).toMatchObject({ operation: 'commit', fence: '1' });
    expect(runA.signal.aborted).toBe(true);
    await expect(runA.ensureHeld()).rejects.toBeInstanceOf(LeaseLostError);
    expect(await tableIds()).toEqual([]);
    expect(await b.load()).toBe('200,2');
    await runA.end(); // does not release B's lease
    expect((await b.read())?.holder).toBe('b');
    await runB.end();
    expect((await b.read())?.holder).toBeUndefined();
  });

  it('a lease lost in the middle of a sync cancels it with LeaseLostError and the cursor stays', async () => {
    const store = storeFor({ leaseMs: 600, renewEveryMs: 100 });
    let pages = 0;
    const error = await client.patients
      .sync({
        delivery: 'exactly-once',
        checkpoint: store,
        max: 20,
        prefetch: false,
        onPage: async (page, tx) => {
          await insertPage(
            tx,
            page.patients.map((p) => p.practicePatientId),
            page.cursor,
          );
          if (++pages === 2) {
            // Another worker takes the practice over (as after a stall): the fence moves on.
            await db.pool.query(
              'UPDATE medfusion.checkpoints SET fence = fence + 1 WHERE environment = $1',
              [`test-${n}`],
            );
          }
        },
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(await tableIds()).toHaveLength(20); // page 2 rolled back
    const firstCursor = (await db.pool.query('SELECT DISTINCT page_cursor AS c FROM patients'))
      .rows[0] as { c: string };
    expect(await store.load()).toBe(firstCursor.c);
  });

  it('save() outside a run is refused while another worker holds the lease', async () => {
    const store = storeFor();
    const run = await store.begin({ practiceId: sb.practiceId, apiVersion: 'v2' });
    await expect(store.save('1,1')).rejects.toBeInstanceOf(LeaseHeldError);
    await run.end();
    await store.save('1,1');
    expect(await store.load()).toBe('1,1');
  });
});

describe('failures', () => {
  it('a database it cannot reach is a StateStoreError with its code, host and what to do, never a message from the driver', async () => {
    const dead = new Pool({
      host: '127.0.0.1',
      port: 1,
      user: 'u',
      password: 'pw-CANARY',
      connectionTimeoutMillis: 2000,
    });
    const store = new PostgresCheckpointStore({ pool: dead, practiceId: sb.practiceId });
    const error = await client.patients
      .sync({ checkpoint: store, onPage: async () => undefined })
      .catch((e) => e);
    expect(error).toBeInstanceOf(StateStoreError);
    expect(error).toMatchObject({
      operation: 'checkpoint.acquire',
      cause: { code: 'ECONNREFUSED', host: '127.0.0.1:1' },
    });
    expect((error as Error).message).toBe(
      'State store failed during checkpoint.acquire (ECONNREFUSED): nothing listens at 127.0.0.1:1: is PostgreSQL running, and the port right?',
    );
    expect(JSON.stringify(error)).not.toMatch(/CANARY|pw-/);
    await dead.end();
  });

  it('rejects bad options with a ConfigurationError naming them, before anything is sent', () => {
    expect(() => storeFor({ leaseMs: -1 })).toThrow(ConfigurationError);
    expect(() => storeFor({ leaseMs: 1000, renewEveryMs: 1000 })).toThrow(/renewEveryMs/);
    expect(() => storeFor({ practiceId: '' })).toThrow(/practiceId/);
    // Past 2^31 - 1 ms a Node timer fires at once: a renewal every millisecond, commits refused.
    for (const option of ['leaseMs', 'renewEveryMs', 'waitForLeaseMs'] as const) {
      const error = (() => {
        try {
          storeFor({ leaseMs: 60_000, [option]: 2 ** 31 });
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).toMatchObject({ option });
    }
    expect(() => storeFor({ leaseMs: 2 ** 31 - 1, renewEveryMs: 60_000 })).not.toThrow();
  });
});
