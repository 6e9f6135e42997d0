/**
 * `driftcontrol mirror`: the synthetic mirror (development install only; see local/cli/index.ts).
 *   generate  generate a world and load it into a local warehouse file (DuckDB), views deployed
 *   export    generate a world and export the mirror as NDJSON + BigQuery JSON schemas + load.sh (bq load)
 *   view      print the AccountView of one account (what gather would build from the same world)
 *   serve     serve a local BigQuery endpoint over a generated (or existing) warehouse until interrupted
 */
import { BigQuery } from '@google-cloud/bigquery';
import { Command, InvalidArgumentError } from 'commander';
import { LOCAL_COMMANDS } from '../../shared/cli/local-commands.js';
import { startLocalBigQuery } from '../bigquery/server.js';
import { deployWarehouse } from '../provision/warehouse.js';
import { accountViewFor } from '../synthetic/account-view.js';
import { exportMirrorNdjson, loadWorld } from '../synthetic/load.js';
import { createWorld, type World } from '../synthetic/world.js';

/**
 * The commands only talk to a local, unauthenticated BigQuery endpoint: stop the Google client from probing
 * the GCE metadata server for credentials. Set when a command runs, never at import, so mounting this CLI
 * in driftcontrol does not change how its other commands find real credentials.
 */
const localOnly = () => {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
};

const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
  return n;
};
const date = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v)))
    throw new InvalidArgumentError('expected YYYY-MM-DD');
  return v;
};

interface WorldFlags {
  accounts: number;
  seed: number;
  days: number;
  endDate: string;
}

function worldOptions(cmd: Command): Command {
  return cmd
    .option('-n, --accounts <n>', 'number of accounts (10 to 1,000,000)', int('accounts', 1, 1_000_000), 1000)
    .option('--seed <n>', 'world seed (same seed, same world)', int('seed', 0, 2 ** 31 - 1), 42)
    .option('--days <n>', 'consecutive snapshot dates', int('days', 1, 31), 2)
    .option('--end-date <date>', "the last (today's) snapshot date", date, '2026-11-24');
}

/**
 * Runs a command's work and turns what goes wrong with the user's input or environment (an account outside
 * the world, an unwritable --db path, a taken --port) into one line and exit code 1, like bad flags,
 * instead of a stack trace.
 */
async function reported(cmd: Command, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    cmd.error(`error: ${(error as Error).message}`);
  }
}

const worldOf = (f: WorldFlags): World =>
  createWorld({ accounts: f.accounts, seed: f.seed, days: f.days, endDate: f.endDate });

async function generateInto(world: World, dbPath?: string, port?: number) {
  localOnly();
  const lb = await startLocalBigQuery({
    ...(dbPath ? { dbPath } : {}),
    ...(port === undefined ? {} : { port }),
  });
  try {
    const bq = new BigQuery({ projectId: 'local', apiEndpoint: lb.url });
    await deployWarehouse(bq);
    const t0 = performance.now();
    const result = await loadWorld(lb.db, world, {
      onProgress: (done, total) => process.stderr.write(`\rgenerated ${done}/${total} accounts`),
    });
    process.stderr.write('\n');
    return { lb, bq, result, ms: performance.now() - t0 };
  } catch (error) {
    await lb.stop(); // the caller never gets the server to stop
    throw error;
  }
}

export function buildMirrorCli(): Command {
  const program = new Command('mirror').description(LOCAL_COMMANDS.mirror);

  worldOptions(program.command('generate'))
    .description(
      'generate a world and load it into a local warehouse (DuckDB file), mirror tables and views deployed',
    )
    .requiredOption('--db <file>', 'DuckDB file to write (created if missing)')
    .action((flags: WorldFlags & { db: string }, cmd: Command) =>
      reported(cmd, async () => {
        const world = worldOf(flags);
        const { lb, result, ms } = await generateInto(world, flags.db);
        await lb.stop();
        console.log(
          JSON.stringify(
            { dates: world.dates, rows: result.rows, ms: Math.round(ms), db: flags.db },
            null,
            2,
          ),
        );
      }),
    );

  worldOptions(program.command('export'))
    .description(
      'generate a world and export billing_mirror as NDJSON + BigQuery JSON schemas + load.sh for bq load',
    )
    .requiredOption('-o, --out <dir>', 'output directory')
    .action((flags: WorldFlags & { out: string }, cmd: Command) =>
      reported(cmd, async () => {
        const world = worldOf(flags);
        const { lb } = await generateInto(world);
        try {
          const files = await exportMirrorNdjson(lb.db, flags.out);
          console.log(JSON.stringify({ dates: world.dates, out: flags.out, files }, null, 2));
        } finally {
          await lb.stop();
        }
      }),
    );

  worldOptions(program.command('view'))
    .description('print the AccountView of one account on one snapshot date')
    .argument('<accountId>', 'e.g. acc_0000042')
    .option('--date <date>', 'snapshot date (default: the last one)', date)
    .option('--as-of <instant>', 'evaluation time (default: the snapshot instant, D 00:00:00Z)')
    .action((accountId: string, flags: WorldFlags & { date?: string; asOf?: string }, cmd: Command) =>
      // An id outside the world or a date it does not hold is reported like any other bad input.
      reported(cmd, async () => {
        const world = worldOf(flags);
        const date = flags.date ?? (world.dates.at(-1) as string);
        console.log(JSON.stringify(accountViewFor(world, accountId, date, flags.asOf), null, 2));
      }),
    );

  worldOptions(program.command('serve'))
    .description('serve a local BigQuery endpoint over a freshly generated world until interrupted')
    .option('--port <n>', 'port', int('port', 0, 65535), 9050)
    .option('--db <file>', 'DuckDB file (in memory when omitted)')
    .action((flags: WorldFlags & { port: number; db?: string }, cmd: Command) => {
      // Listen for Ctrl-C before the (possibly long) load, so an early one still stops cleanly.
      const interrupted = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      return reported(cmd, async () => {
        const world = worldOf(flags);
        const { lb } = await generateInto(world, flags.db, flags.port);
        try {
          console.log(
            `local BigQuery on ${lb.url} (apiEndpoint), snapshot dates ${world.dates.join(', ')}; Ctrl-C stops`,
          );
          await interrupted;
        } finally {
          await lb.stop();
        }
      });
    });

  return program;
}
