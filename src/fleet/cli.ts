#!/usr/bin/env node
/**
 * `medfusion-fleet status`: the operator view, from the database alone (no worker, no pg-boss, any
 * Node version the SDK runs on). Needs `pg`, as the fleet does.
 *
 *   medfusion-fleet status --database-url postgres://… --boss-schema pgboss
 *   medfusion-fleet status --watch 5        # redraws every 5 s on a terminal, with a progress bar
 */
import { parseArgs } from 'node:util';
import { formatAge, formatFleetStatus, readFleetStatus, type FleetStatus } from './status';
import type { SqlClient } from '../postgres/sql';

const HELP = `Usage: medfusion-fleet status [options]

  --database-url <url>    PostgreSQL (default: $MEDFUSION_DATABASE_URL, then $DATABASE_URL)
  --schema <name>         schema of the SDK's tables (default medfusion)
  --boss-schema <name>    pg-boss's schema, to count dead letters (default: not counted)
  --queue-prefix <name>   prefix of the fleet's queues (default medfusion)
  --stale-after <s>       a sync older than this is stale (default 900)
  --watch <s>             redraw every <s> seconds until interrupted
  --json                  one JSON document (one per redraw with --watch)
  -h, --help              this text
`;

type Pg = {
  Client: new (config: {
    connectionString: string;
  }) => SqlClient & { connect(): Promise<void>; end(): Promise<void> };
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      'boss-schema': { type: 'string' },
      'queue-prefix': { type: 'string' },
      'stale-after': { type: 'string' },
      watch: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'status') {
    (values.help ? process.stdout : process.stderr).write(HELP);
    return values.help ? 0 : 2;
  }
  const url =
    values['database-url'] ?? process.env.MEDFUSION_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('medfusion-fleet: give --database-url or set MEDFUSION_DATABASE_URL\n');
    return 2;
  }
  const seconds = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0)
      throw new Error(`--${name} must be a number > 0`);
    return n;
  };
  const watch = seconds('watch', values.watch);
  const staleAfterSeconds = seconds('stale-after', values['stale-after']);
  const options = {
    ...(values.schema ? { schema: values.schema } : {}),
    ...(values['boss-schema'] ? { bossSchema: values['boss-schema'] } : {}),
    deadLetterQueue: `${values['queue-prefix'] ?? 'medfusion'}.dead-letter`,
    ...(staleAfterSeconds !== undefined ? { staleAfterSeconds } : {}),
  };

  const { Client } = (await import('pg')) as unknown as Pg;
  const db = new Client({ connectionString: url });
  await db.connect();
  const tty = process.stdout.isTTY === true && !values.json;
  try {
    for (let first = true; ; first = false) {
      const status = await readFleetStatus(db, options);
      const text = values.json ? JSON.stringify(status) : formatFleetStatus(status);
      if (tty && !first) process.stdout.write('\x1b[H\x1b[2J'); // redraw in place
      process.stdout.write(`${text}\n`);
      if (tty) process.stdout.write(`${progressBar(status)}\n`);
      if (watch === undefined) return 0;
      await new Promise((r) => setTimeout(r, watch * 1000));
    }
  } finally {
    await db.end();
  }
}

/** `current 180/200 [##################--]  oldest 4m`: the share of practices synced recently. */
function progressBar(status: FleetStatus): string {
  const { practices, current } = status.summary;
  const width = 30;
  const filled = practices === 0 ? 0 : Math.round((current / practices) * width);
  const oldest = Math.max(0, ...status.practices.map((p) => p.lagSeconds ?? 0));
  return `current ${current}/${practices} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  oldest ${formatAge(oldest)}`;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    // Class and code only: a database error's text can quote row values.
    const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
    process.stderr.write(
      `medfusion-fleet: ${String(name ?? 'Error')}${typeof code === 'string' ? ` (${code})` : ''}${error instanceof Error && /^--/.test(error.message) ? `: ${error.message}` : ''}\n`,
    );
    process.exitCode = 1;
  },
);
