import type { Command } from 'commander';
import { KNOWN_ENV_VARS } from '../../shared/adapters/environment.js';
import { CliError } from '../../shared/cli/io.js';
import { LOCAL_COMMANDS } from '../../shared/cli/local-commands.js';
import { startLocalConsole } from '../console/start.js';

/**
 * `driftcontrol console`: the support console on a local stack that `run-local --keep` (or `--console`)
 * left running, from the environment it printed (docs/support.md, "Locally"). The console gets only the
 * variables of the adapter contract, as a deployed function does.
 */
export function registerConsole(program: Command): void {
  program
    .command('console')
    .description(LOCAL_COMMANDS.console)
    .action(async () => {
      // The local IAP signs for anyone who reaches it: never in front of a deployment's data.
      const missing = ['GOOGLE_CLOUD_PROJECT', 'FIRESTORE_EMULATOR_HOST', 'BIGQUERY_EMULATOR_HOST'].filter(
        (v) => !process.env[v],
      );
      if (missing.length > 0)
        throw new CliError(
          `${missing.join(', ')} not set: this serves a local stack only; start one with \`driftcontrol run-local --keep\` and export the environment it prints`,
        );
      const known: readonly string[] = KNOWN_ENV_VARS;
      const env = Object.fromEntries(
        Object.entries(process.env).filter(
          (e): e is [string, string] => known.includes(e[0]) && e[1] !== undefined,
        ),
      );
      const stripeBase = process.env.STRIPE_API_BASE;
      const local = stripeBase !== undefined && new URL(stripeBase).hostname === '127.0.0.1';
      const started = await startLocalConsole({
        env,
        ...(local ? { stripeDashboardUrl: `${stripeBase.replace(/\/+$/, '')}/dashboard` } : {}),
      });
      const note = (s: string) => process.stderr.write(`${s}\n`);
      const onSignal = () => {
        note('Stopping the console...');
        void started.stop().finally(() => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      process.stdout.write(`${started.url}\n`);
      note(
        `Support console: ${started.url}  (signed in as ${started.identity}, read-only). Ctrl-C stops it.`,
      );
      await new Promise<void>(() => {});
    });
}
