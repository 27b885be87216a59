/**
 * Cursor abuse, as an adversary plays it: a server that answers with exactly the bytes chosen here
 * (a `Last-Timestamp` that cycles, goes backwards, is missing, is garbage or oversized, or jumps
 * years ahead), against the real client and a real PostgreSQL, in both delivery modes. Every run
 * must end by itself, with a typed error or a counted outcome, and no patient row is ever committed
 * twice in exactly-once mode. (The fleet plays the same in test/fleet.test.ts.)
 */
import { inspect } from 'node:util';
import {
  CursorError,
  MedfusionClient,
  PaginationLoopError,
  type CursorFormat,
  type SyncResult,
} from 'medfusion-patient-sdk';
import { PostgresCheckpointStore } from 'medfusion-patient-sdk/postgres';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';
import { ids, startScriptedFeed, type ScriptedFeed } from './helpers/scripted-feed';

let db: TestDatabase;
let feed: ScriptedFeed;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query('CREATE TABLE changes (patient_id text NOT NULL, page_cursor text)');
  feed = await startScriptedFeed();
});
afterAll(async () => {
  await feed.close();
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE changes');
  await db.pool.query('TRUNCATE medfusion.checkpoints');
});

type Mode = 'at-least-once' | 'exactly-once';
const MODES: Mode[] = ['at-least-once', 'exactly-once'];
const A = '1700000000,1';
const B = '1700000000,2';

function client(cursorFormat: CursorFormat = 'medfusion'): MedfusionClient {
  return new MedfusionClient({
    baseUrl: feed.url,
    practiceId: feed.practiceId,
    credentials: { accessToken: 'scripted-token' },
    maxRetries: 0,
    cursorFormat,
  });
}

function store(cursorFormat: CursorFormat = 'medfusion'): PostgresCheckpointStore {
  return new PostgresCheckpointStore({
    pool: db.pool,
    practiceId: feed.practiceId,
    leaseMs: 5000,
    cursorFormat,
  });
}

/** One sync run in `mode`, with a plain (non-idempotent) INSERT per patient; settles or fails the test. */
async function syncOnce(
  mode: Mode,
  format: CursorFormat = 'medfusion',
): Promise<SyncResult | Error> {
  const c = client(format);
  const checkpoint = store(format);
  const run =
    mode === 'exactly-once'
      ? c.patients.sync({
          delivery: 'exactly-once',
          checkpoint,
          max: 10,
          onPage: async (page, tx) => {
            for (const p of page.patients)
              await tx.query('INSERT INTO changes VALUES ($1, $2)', [
                p.practicePatientId,
                page.cursor,
              ]);
          },
        })
      : c.patients.sync({
          checkpoint,
          max: 10,
          onPage: async (page) => {
            for (const p of page.patients)
              await db.pool.query('INSERT INTO changes VALUES ($1, $2)', [
                p.practicePatientId,
                page.cursor ?? null,
              ]);
          },
        });
  // Every run ends by itself: a run still pending after this long is a loop or a hang.
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('sync did not end by itself')), 20_000);
  });
  try {
    return await Promise.race([run, hung]).catch((e: Error) => e);
  } finally {
    clearTimeout(timer);
  }
}

async function rows(): Promise<{ total: number; doubled: number }> {
  const r = await db.pool.query<{ total: number; doubled: number }>(
    `SELECT count(*)::int AS total,
            (SELECT count(*)::int FROM (SELECT patient_id FROM changes GROUP BY 1 HAVING count(*) > 1) d) AS doubled
     FROM changes`,
  );
  return r.rows[0] as { total: number; doubled: number };
}

const saved = async (): Promise<string | undefined> => store().load();

/** No `since` was sent twice in the run(s) since the script was set. */
const noRepeatedSince = (): void => {
  const sent = feed.sinces.filter((s) => s !== null);
  expect(new Set(sent).size).toBe(sent.length);
};

/** The error names the practice and the rule and holds none of the cursor's bytes. */
function expectCursorError(e: unknown, rule: string, cursorBytes?: string): void {
  expect(e).toBeInstanceOf(CursorError);
  expect(e).toMatchObject({ rule, practiceId: feed.practiceId });
  if (cursorBytes !== undefined) {
    const shown = [String(e), JSON.stringify(e), inspect(e, { depth: 5 })].join('\n');
    expect(shown).not.toContain(cursorBytes);
  }
}

describe.each(MODES)('%s', (mode) => {
  it('a cursor cycling A, B, A in Medfusion form stops at the backwards step, before that page', async () => {
    feed.script((call) => ({ patients: ids((call % 2) * 10, 10), cursor: call % 2 === 0 ? A : B }));
    const e = await syncOnce(mode);
    expectCursorError(e, 'backwards');
    expect(feed.sinces).toEqual([null, A, B]);
    expect(await rows()).toEqual({ total: 20, doubled: 0 });
    expect(await saved()).toBe(B);
  });

  it('an opaque cursor cycling A, B, A is never sent twice and ends with PaginationLoopError', async () => {
    feed.script((call) => ({
      patients: ids((call % 2) * 10, 10),
      cursor: call % 2 === 0 ? 'tokA' : 'tokB',
    }));
    const e = await syncOnce(mode, 'opaque');
    expect(e).toBeInstanceOf(PaginationLoopError);
    expect(feed.sinces).toEqual([null, 'tokA', 'tokB']);
    // At-least-once delivered the looping page before stopping (a page may come twice there);
    // exactly-once never delivers a page it cannot checkpoint.
    expect(await rows()).toEqual(
      mode === 'exactly-once' ? { total: 20, doubled: 0 } : { total: 30, doubled: 10 },
    );
    expect(await saved()).toBe('tokB');
  });

  it('a cursor that moves backwards on every page stops at the second page, before it', async () => {
    feed.script((call) => ({ patients: ids(call * 10, 10), cursor: `1700000000,${90 - call}` }));
    const e = await syncOnce(mode);
    expectCursorError(e, 'backwards');
    noRepeatedSince();
    expect(await rows()).toEqual({ total: 10, doubled: 0 });
    expect(await saved()).toBe('1700000000,90');
  });

  it('a cursor that jumps back to 0,0 is refused on every run, and nothing is applied again', async () => {
    const X = '1700000000,5';
    feed.script((_, since) => ({
      patients: ids(since === null ? 0 : 10, 10),
      cursor: since === null ? X : '0,0',
    }));
    for (let run = 0; run < 3; run++) expectCursorError(await syncOnce(mode), 'backwards');
    expect(await rows()).toEqual({ total: 10, doubled: 0 });
    expect(await saved()).toBe(X);
    // Run 1 read from the start then from X; runs 2 and 3 from X once each.
    expect(feed.sinces).toEqual([null, X, X, X]);
  });

  it('a page of patients without Last-Timestamp is never committed in exactly-once; at-least-once delivers and counts it', async () => {
    feed.script(() => ({ patients: ids(0, 10) }));
    const first = await syncOnce(mode);
    const second = await syncOnce(mode);
    if (mode === 'exactly-once') {
      expectCursorError(first, 'missing');
      expectCursorError(second, 'missing');
      expect(await rows()).toEqual({ total: 0, doubled: 0 });
    } else {
      expect(first).toMatchObject({ pages: 1, patients: 10, uncheckpointedPages: 1 });
      expect(second).toMatchObject({ pages: 1, patients: 10, uncheckpointedPages: 1 });
      expect(await rows()).toEqual({ total: 20, doubled: 10 });
    }
    expect(await saved()).toBeUndefined();
  });

  it.each([
    ['negative', '-5'],
    ['not a timestamp', 'not-a-timestamp-CANARY'],
    ['quoted', '"1700000000,1"'],
    ['12,000 characters', `1700000000${'9'.repeat(11_990)}`],
    ['a comma and text', '1700000000,1;DROP'],
  ])('a %s cursor is refused before its page, never saved, never sent', async (_, bad) => {
    feed.script(() => ({ patients: ids(0, 10), cursor: bad }));
    expectCursorError(await syncOnce(mode), 'malformed', bad);
    expectCursorError(await syncOnce(mode), 'malformed', bad);
    expect(await rows()).toEqual({ total: 0, doubled: 0 });
    expect(await saved()).toBeUndefined();
    expect(feed.sinces).toEqual([null, null]);
  });

  it('a 204 whose cursor runs years ahead of the server clock is refused and not saved', async () => {
    await store().save('1700000000,0');
    const now = new Date().toUTCString();
    feed.script(() => ({ cursor: '2500000000,0', date: now }));
    expectCursorError(await syncOnce(mode), 'ahead');
    expect(await saved()).toBe('1700000000,0');
    // A page of patients does not get past the rule either.
    feed.script(() => ({ patients: ids(0, 10), cursor: '2500000000000,1', date: now }));
    expectCursorError(await syncOnce(mode), 'ahead');
    expect(await rows()).toEqual({ total: 0, doubled: 0 });
  });

  it('control: a cursor within the hour of the server clock is saved, and a 204 ends the run', async () => {
    const soon = Math.floor(Date.now() / 1000) + 600;
    feed.script((call) =>
      call === 0 ? { patients: ids(0, 10), cursor: `${soon},1` } : { cursor: `${soon},1` },
    );
    expect(await syncOnce(mode)).toMatchObject({ pages: 2, patients: 10, uncheckpointedPages: 0 });
    expect(await saved()).toBe(`${soon},1`);
    expect(await rows()).toEqual({ total: 10, doubled: 0 });
  });
});

describe('a cursor already saved', () => {
  it('a malformed saved cursor (left by an older version) is reported before any request, with what to do', async () => {
    await db.pool.query(
      `INSERT INTO medfusion.checkpoints (practice_id, environment, api_version, cursor)
       VALUES ($1, 'production', 'v2', 'not-a-timestamp')`,
      [feed.practiceId],
    );
    feed.script(() => ({ patients: ids(0, 10), cursor: A }));
    const e = await syncOnce('exactly-once');
    expectCursorError(e, 'malformed', 'not-a-timestamp');
    expect((e as Error).message).toMatch(/reset/);
    expect(feed.sinces).toEqual([]);
  });

  it('store.save refuses a cursor that is not one, before writing (typed, naming the practice)', async () => {
    for (const bad of ['-5', 'not-a-timestamp', 'x'.repeat(300), ''])
      await expect(store().save(bad)).rejects.toMatchObject({
        name: 'CursorError',
        rule: 'malformed',
        practiceId: feed.practiceId,
      });
    expect(await saved()).toBeUndefined();
    await expect(store('opaque').save('tok-1')).resolves.toBeUndefined();
  });
});
