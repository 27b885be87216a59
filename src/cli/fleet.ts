#!/usr/bin/env node
/**
 * `medfusion-fleet`: the operator's commands, from the database alone (no worker needed). `status`,
 * `dead-letters`, `release-lease`, `reset-cursor` and `dashboard` need `pg` and run on any Node
 * version the SDK runs on; `redrive` and `remove` also start a `PgBoss` (pg-boss 12.38+, Node
 * 22.12+). Every action is recorded in the fleet's run log. Errors say what to do, never a value.
 */
import { parseArgs } from 'node:util';
import { MedfusionError, StateStoreError, safeCause } from '../core/errors';
import { startDashboard } from '../dashboard/server';
import { describeFailure } from '../fleet/errors';
import { FleetOperations, type DeadLetter, type OperationsBoss } from '../fleet/operations';
import {
  formatAge,
  formatFleetStatus,
  formatTable,
  readFleetStatus,
  type FleetStatus,
} from '../fleet/status';
import type { SqlClient } from '../postgres/sql';

const HELP = `Usage: medfusion-fleet <command> [options]

Commands:
  status                         the fleet's practices: last success, lag, lease, outcome, last error
  dashboard                      a web page of the fleet (read-only), on 127.0.0.1
  dead-letters                   jobs in the dead-letter queue: practice, reason, when
  redrive <practiceId…|--all>    send dead letters back to their queue (needs pg-boss, Node 22.12+)
  release-lease <practiceId>     free the lease of a worker that is gone (fenced)
  reset-cursor <practiceId>      clear the cursor (the feed is read from its start), or --to <cursor>
  remove <practiceId>            unschedule and forget a practice (its invitation ledger stays)

Options:
  --database-url <url>    PostgreSQL (default: $MEDFUSION_DATABASE_URL, then $DATABASE_URL)
  --schema <name>         schema of the SDK's tables (default medfusion)
  --environment <name>    the fleet's environment (default production; status: 'all' for every one)
  --boss-schema <name>    pg-boss's schema (default pgboss; status counts dead letters only when given)
  --queue-prefix <name>   prefix of the fleet's queues (default medfusion)
  --stale-after <s>       a sync older than this is stale (default 900)
  --watch <s>             status: redraw every <s> seconds until interrupted
  --json                  status, dead-letters: JSON
  --port <n>              dashboard: port (default 0: a free one)
  --host <addr>           dashboard: interface (default 127.0.0.1)
  --to <cursor>           reset-cursor: the cursor to set
  --all                   redrive: every dead letter
  --operator <name>       who acts, in the run log (default $USER)
  -h, --help              this text
`;

type PgModule = {
  Client: new (config: {
    connectionString: string;
  }) => SqlClient & { connect(): Promise<void>; end(): Promise<void> };
  Pool: new (config: { connectionString: string; max?: number }) => SqlClient & {
    end(): Promise<void>;
  };
};

/** A usage error: printed with exit code 2. */
class UsageError extends Error {}

/**
 * The database URL, checked: a `postgres://` or `postgresql://` URL with a host (or a `host`
 * parameter for a socket). A malformed one is refused rather than left to fall back to localhost.
 */
function checkDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      '--database-url is not a URL: postgres://user:password@host:5432/database',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new UsageError('--database-url must start with postgres:// or postgresql://');
  if (parsed.hostname === '' && !parsed.searchParams.has('host'))
    throw new UsageError(
      '--database-url names no host: postgres://user:password@host:5432/database',
    );
  return url;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      environment: { type: 'string' },
      'boss-schema': { type: 'string' },
      'queue-prefix': { type: 'string' },
      'stale-after': { type: 'string' },
      watch: { type: 'string' },
      json: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      to: { type: 'string' },
      all: { type: 'boolean' },
      operator: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...ids] = positionals;
  const commands = [
    'status',
    'dashboard',
    'dead-letters',
    'redrive',
    'release-lease',
    'reset-cursor',
    'remove',
  ];
  if (values.help || command === undefined || !commands.includes(command)) {
    (values.help ? process.stdout : process.stderr).write(HELP);
    return values.help ? 0 : 2;
  }
  const given =
    values['database-url'] ?? process.env.MEDFUSION_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!given) throw new UsageError('give --database-url or set MEDFUSION_DATABASE_URL');
  const url = checkDatabaseUrl(given);
  const seconds = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new UsageError(`--${name} must be a number > 0`);
    return n;
  };
  const watch = seconds('watch', values.watch);
  const staleAfterSeconds = seconds('stale-after', values['stale-after']);
  const one = (): string => {
    if (ids.length !== 1) throw new UsageError(`${command} takes one practice id`);
    return ids[0] as string;
  };
  if (command === 'redrive' && ids.length === 0 && !values.all)
    throw new UsageError('redrive takes practice ids, or --all');
  if (['release-lease', 'reset-cursor', 'remove'].includes(command)) one();

  const pg = await loadPg();
  const common = {
    ...(values.schema ? { schema: values.schema } : {}),
    ...(values.environment ? { environment: values.environment } : {}),
    ...(values['queue-prefix'] ? { queuePrefix: values['queue-prefix'] } : {}),
    bossSchema: values['boss-schema'] ?? 'pgboss',
  };

  if (command === 'dashboard') {
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--port must be an integer from 0 to 65535');
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    await connected(pool.query('SELECT 1'));
    const dashboard = await startDashboard({
      db: pool,
      databaseUrl: url,
      ...common,
      ...(staleAfterSeconds !== undefined ? { staleAfterSeconds } : {}),
      port,
      host: values.host ?? '127.0.0.1',
    });
    process.stdout.write(
      `medfusion-fleet dashboard at ${dashboard.url}` +
        (dashboard.jobs ? ` (jobs: ${dashboard.url}/jobs)` : '') +
        '\n',
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard.close();
    await pool.end();
    return 0;
  }

  const db = new pg.Client({ connectionString: url });
  await connected(db.connect());
  let boss: (OperationsBoss & { stop(o: object): Promise<void> }) | undefined;
  try {
    if (command === 'redrive' || command === 'remove')
      boss = await startBoss(url, common.bossSchema);
    const operations = new FleetOperations({
      db,
      ...common,
      ...(boss ? { boss } : {}),
      ...(values.operator ? { operator: values.operator } : {}),
    });
    switch (command) {
      case 'status':
        return await status(db, values, watch, staleAfterSeconds);
      case 'dead-letters': {
        const letters = await operations.deadLetters();
        process.stdout.write(
          values.json ? `${JSON.stringify(letters)}\n` : `${formatDeadLetters(letters)}\n`,
        );
        return 0;
      }
      case 'redrive': {
        const moved = await operations.redrive(values.all ? 'all' : ids);
        process.stdout.write(`${moved} job(s) sent back to their queue\n`);
        return 0;
      }
      case 'release-lease': {
        const r = await operations.releaseLease(one());
        if (r.done) {
          process.stdout.write(
            `released the lease of ${r.holder ?? 'a gone worker'} (fence ${r.fence})\n`,
          );
          return 0;
        }
        process.stderr.write(`medfusion-fleet: ${refusal(r.refused, r.holder)}\n`);
        return 1;
      }
      case 'reset-cursor': {
        const r = await operations.resetCursor(
          one(),
          values.to !== undefined ? { to: values.to } : {},
        );
        if (r.done) {
          process.stdout.write(
            `cursor ${values.to !== undefined ? 'set' : 'cleared: the next sync reads the feed from its start'} (fence ${r.fence})\n`,
          );
          return 0;
        }
        process.stderr.write(`medfusion-fleet: ${refusal(r.refused, r.holder)}\n`);
        return 1;
      }
      default: {
        const r = await operations.removePractice(one());
        if (r.done) {
          process.stdout.write(
            'removed: unscheduled, queued jobs cancelled, checkpoint forgotten\n',
          );
          return 0;
        }
        process.stderr.write(`medfusion-fleet: ${refusal(r.refused, r.holder)}\n`);
        return 1;
      }
    }
  } finally {
    await boss?.stop({ graceful: false, close: true }).catch(() => undefined);
    await db.end().catch(() => undefined);
  }
}

function refusal(why: string | undefined, holder: string | undefined): string {
  if (why === 'holder-alive')
    return `${holder ?? 'a worker'} holds the practice and is renewing its lease: it is alive (stop it first)`;
  if (why === 'not-leased') return 'no lease to release: the practice is free';
  return 'no checkpoint for this practice in this environment (check --environment and --schema)';
}

async function status(
  db: SqlClient,
  values: Record<string, string | boolean | undefined>,
  watch: number | undefined,
  staleAfterSeconds: number | undefined,
): Promise<number> {
  const str = (k: string): string | undefined =>
    typeof values[k] === 'string' ? (values[k] as string) : undefined;
  const options = {
    ...(str('schema') ? { schema: str('schema') } : {}),
    ...(str('environment') ? { environment: str('environment') } : {}),
    ...(str('boss-schema') ? { bossSchema: str('boss-schema') } : {}),
    deadLetterQueue: `${str('queue-prefix') ?? 'medfusion'}.dead-letter`,
    ...(staleAfterSeconds !== undefined ? { staleAfterSeconds } : {}),
  };
  const tty = process.stdout.isTTY === true && values.json !== true;
  for (let first = true; ; first = false) {
    const s = await readFleetStatus(db, options);
    const text = values.json ? JSON.stringify(s) : formatFleetStatus(s);
    if (tty && !first) process.stdout.write('\x1b[H\x1b[2J'); // redraw in place
    process.stdout.write(`${text}\n`);
    if (tty) process.stdout.write(`${progressBar(s)}\n`);
    if (watch === undefined) return 0;
    await new Promise((r) => setTimeout(r, watch * 1000));
  }
}

/** The dead letters as a table. */
function formatDeadLetters(letters: DeadLetter[]): string {
  const header = ['PRACTICE', 'KIND', 'REASON', 'DEAD-LETTERED', 'ATTEMPTS', 'ID'];
  const lines = letters.map((d) => [
    d.practiceId ?? '-',
    d.kind,
    d.reason ? describeFailure(d.reason) : '-',
    d.deadLetteredAt.toISOString(),
    String(d.attempts),
    d.id,
  ]);
  return [...formatTable(header, lines), '', `${letters.length} dead letter(s)`].join('\n');
}

/** `current 180/200 [##################--]  oldest 4m`: the share of practices synced recently. */
function progressBar(status: FleetStatus): string {
  const { practices, current } = status.summary;
  const width = 30;
  const filled = practices === 0 ? 0 : Math.round((current / practices) * width);
  const oldest = Math.max(0, ...status.practices.map((p) => p.lagSeconds ?? 0));
  return `current ${current}/${practices} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  oldest ${formatAge(oldest)}`;
}

async function loadPg(): Promise<PgModule> {
  try {
    const m = (await import('pg')) as unknown as PgModule & { default?: PgModule };
    return m.Client ? m : (m.default as PgModule);
  } catch {
    throw new UsageError('needs the pg package: npm install pg');
  }
}

/** A failure to connect as a StateStoreError: what the code means, and the host and port tried. */
async function connected<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (error) {
    throw new StateStoreError('connect', safeCause(error));
  }
}

async function startBoss(
  url: string,
  bossSchema: string,
): Promise<OperationsBoss & { stop(o: object): Promise<void> }> {
  type Boss = OperationsBoss & {
    start(): Promise<unknown>;
    stop(o: object): Promise<void>;
    on(event: 'error', listener: () => void): void;
  };
  let PgBoss: new (options: object) => Boss;
  try {
    ({ PgBoss } = (await import('pg-boss')) as unknown as { PgBoss: new (o: object) => Boss });
  } catch {
    throw new UsageError(
      'redrive and remove need pg-boss 12.38+ (npm install pg-boss@12), on Node 22.12+',
    );
  }
  const boss = new PgBoss({
    connectionString: url,
    schema: bossSchema,
    supervise: false,
    schedule: false,
    migrate: false,
  });
  boss.on('error', () => undefined);
  await connected(boss.start());
  return boss;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    const code = (error as { code?: unknown } | null)?.code;
    if (
      error instanceof UsageError ||
      (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`medfusion-fleet: ${(error as Error).message}\n${HELP}`);
      process.exitCode = 2;
      return;
    }
    // The SDK's errors say what happened and what to do, and carry no value. Anything else is
    // named by its class and code only: a database error's text can quote row values.
    if (error instanceof MedfusionError) {
      process.stderr.write(`medfusion-fleet: ${error.message}\n`);
    } else {
      const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
      process.stderr.write(
        `medfusion-fleet: ${String(name ?? 'Error')}${typeof code === 'string' ? ` (${code})` : ''}\n`,
      );
    }
    process.exitCode = 1;
  },
);
