/**
 * A callback that hangs or throws, a pool of one, an operator's reset: the lease and the checkpoint
 * must stay sound whatever the caller's code or the operator does. Real PostgreSQL, the sandbox.
 * No assertion depends on how fast the machine is: a hung callback is one that never settles on its
 * own (a gate the test opens afterwards), and waits are on conditions with generous deadlines.
 */
import { Pool } from 'pg';
import {
  AbortError,
  CallbackTimeoutError,
  LeaseLostError,
  MedfusionClient,
  type SyncResult,
} from 'medfusion-patient-sdk';
import { PostgresCheckpointStore } from 'medfusion-patient-sdk/postgres';
import { startSandbox, type Sandbox } from 'medfusion-patient-sdk/sandbox';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

let db: TestDatabase;
let sb: Sandbox;
let client: MedfusionClient;
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query('CREATE TABLE changes (patient_id text NOT NULL)');
  sb = await startSandbox();
  sb.seedRegisteredPatients(60);
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
beforeEach(async () => {
  await db.pool.query('TRUNCATE changes');
});

/** A store of its own environment (a fresh checkpoint row) for each test. */
function storeFor(
  extra: Partial<ConstructorParameters<typeof PostgresCheckpointStore>[0]> = {},
): PostgresCheckpointStore {
  return new PostgresCheckpointStore({
    pool: db.pool,
    practiceId: sb.practiceId,
    environment: `hygiene-${++n}`,
    leaseMs: 5000,
    ...extra,
  });
}

/** A promise that settles only when the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** `promise`'s outcome, or a failure if it is still pending after `ms` (a hang, not slowness). */
async function settled<T>(promise: Promise<T>, ms = 15_000): Promise<T | Error> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error('HUNG')), ms);
  });
  try {
    return await Promise.race([promise.catch((e: Error) => e), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `check` holds, polling; fails the test after a generous deadline. */
async function eventually(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const count = async (): Promise<number> =>
  Number((await db.pool.query('SELECT count(*)::int AS n FROM changes')).rows[0].n);

describe('a callback that never settles', () => {
  it.each(['at-least-once', 'exactly-once'] as const)(
    '%s: the caller’s abort rejects sync() while onPage hangs, and the lease is free at once',
    async (mode) => {
      const store = storeFor();
      const hang = gate();
      const entered = gate();
      const abort = new AbortController();
      let lateWrite: Promise<unknown> | undefined;
      const run = client.patients.sync({
        ...(mode === 'exactly-once'
          ? {
              delivery: 'exactly-once' as const,
              onPage: async (_page: unknown, tx: { query: (q: string) => Promise<unknown> }) => {
                entered.open();
                await hang.wait;
                lateWrite = tx.query(`INSERT INTO changes VALUES ('late')`);
                await lateWrite;
              },
            }
          : {
              onPage: async () => {
                entered.open();
                await hang.wait;
              },
            }),
        checkpoint: store,
        max: 10,
        signal: abort.signal,
      } as Parameters<typeof client.patients.sync>[0]);
      await entered.wait;
      abort.abort();
      const outcome = await settled(run);
      expect(outcome).toBeInstanceOf(AbortError);
      // Free now, not after the lease: another worker takes the practice at once.
      const row = await store.read();
      expect(row?.holder).toBeUndefined();
      const next = await storeFor({ environment: store.key.split('/')[1] }).begin({
        practiceId: sb.practiceId,
        apiVersion: 'v2',
      });
      await next.end();
      // The hung callback wakes up: in exactly-once its transaction is gone, its write fails.
      hang.open();
      if (mode === 'exactly-once') {
        await eventually(async () => lateWrite !== undefined);
        await expect(lateWrite).rejects.toBeDefined();
        expect(await count()).toBe(0);
      }
      expect(await store.load()).toBeUndefined();
    },
  );

  it('exactly-once: a transaction idle past the lease is ended by the server; the run gives the lease up and says why', async () => {
    const store = storeFor({ leaseMs: 600, renewEveryMs: 100 });
    const hang = gate();
    const run = client.patients.sync({
      delivery: 'exactly-once',
      checkpoint: store,
      max: 10,
      onPage: async () => {
        await hang.wait;
      },
    });
    const outcome = await settled(run);
    hang.open();
    expect(outcome).toBeInstanceOf(LeaseLostError);
    expect(outcome).toMatchObject({ reason: 'transaction-ended', operation: 'commit' });
    expect((outcome as Error).message).toMatch(/onPage too slow/);
    // Renewals stopped and the lease was freed: it stays free over several renewal periods.
    await eventually(async () => (await store.read())?.holder === undefined);
    await new Promise((r) => setTimeout(r, 400));
    const row = await store.read();
    expect(row?.holder).toBeUndefined();
    expect(row?.leaseExpiresAt).toBeUndefined();
    expect(row?.cursor).toBeUndefined();
    expect(await count()).toBe(0);
  });

  it('pageTimeoutMs abandons a page that runs too long: CallbackTimeoutError, nothing committed, lease free', async () => {
    const store = storeFor();
    const hang = gate();
    const outcome = await settled(
      client.patients.sync({
        delivery: 'exactly-once',
        checkpoint: store,
        max: 10,
        pageTimeoutMs: 200,
        onPage: async (_page, tx) => {
          await tx.query(`INSERT INTO changes VALUES ('first')`);
          await hang.wait;
        },
      }),
    );
    hang.open();
    expect(outcome).toBeInstanceOf(CallbackTimeoutError);
    expect(outcome).toMatchObject({ callback: 'onPage', timeoutMs: 200 });
    expect(await count()).toBe(0);
    expect((await store.read())?.holder).toBeUndefined();
  });

  it('stopSignal is graceful: the page in hand is committed, then the run stops with AbortError', async () => {
    const store = storeFor();
    const stop = new AbortController();
    let pages = 0;
    const outcome = await settled(
      client.patients.sync({
        delivery: 'exactly-once',
        checkpoint: store,
        max: 10,
        stopSignal: stop.signal,
        onPage: async (page, tx) => {
          pages++;
          stop.abort(); // SIGTERM arrives while the first page is being written
          await new Promise((r) => setTimeout(r, 50));
          for (const p of page.patients)
            await tx.query('INSERT INTO changes VALUES ($1)', [p.practicePatientId]);
        },
      }),
    );
    expect(outcome).toBeInstanceOf(AbortError);
    expect(pages).toBe(1);
    expect(await count()).toBe(10);
    expect(await store.load()).toBeDefined();
    expect((await store.read())?.holder).toBeUndefined();
  });
});

describe('a pool of one connection', () => {
  let one: Pool;
  beforeAll(() => {
    one = new Pool({ connectionString: db.url, max: 1 });
    one.on('error', () => undefined);
  });
  afterAll(async () => {
    await one.end();
  });

  it('an onPage that throws rejects sync() with its error (it deadlocked: the error path wanted a second connection)', async () => {
    const store = new PostgresCheckpointStore({
      pool: one,
      practiceId: sb.practiceId,
      environment: `hygiene-${++n}`,
    });
    const boom = new Error('onPage refused the page');
    const outcome = await settled(
      client.patients.sync({
        delivery: 'exactly-once',
        checkpoint: store,
        max: 10,
        onPage: async () => {
          throw boom;
        },
      }),
    );
    expect(outcome).toBe(boom);
    expect((await store.read())?.holder).toBeUndefined();
  });

  it('a whole exactly-once sync runs on it', async () => {
    const store = new PostgresCheckpointStore({
      pool: one,
      practiceId: sb.practiceId,
      environment: `hygiene-${++n}`,
    });
    const outcome = await settled(
      client.patients.sync({
        delivery: 'exactly-once',
        checkpoint: store,
        max: 10,
        onPage: async (page, tx) => {
          for (const p of page.patients)
            await tx.query('INSERT INTO changes VALUES ($1)', [p.practicePatientId]);
        },
      }),
    );
    expect(outcome).toMatchObject({ patients: 60 } satisfies Partial<SyncResult>);
    expect(await count()).toBe(60);
  });
});

describe("an operator's write", () => {
  it('fences out a worker whose lease lapsed: its late commit is refused and the reset stays', async () => {
    const store = storeFor({ leaseMs: 5000 });
    const stale = await store.begin({ practiceId: sb.practiceId, apiVersion: 'v2' });
    // The worker stalls (SIGSTOP, a GC pause) and its lease lapses, with nobody taking over.
    await db.pool.query(
      `UPDATE medfusion.checkpoints SET lease_expires_at = now() - interval '1 second'
       WHERE practice_id = $1 AND environment = $2`,
      [sb.practiceId, store.key.split('/')[1]],
    );
    await store.save('1700000000,0');
    const late = await stale.commit('1800000000,0').catch((e: unknown) => e);
    await stale.end();
    expect(late).toBeInstanceOf(LeaseLostError);
    expect(await store.load()).toBe('1700000000,0');
  });
});
