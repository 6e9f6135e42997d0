import type { Command } from 'commander';
import { CliError, type Out } from './io.js';

/**
 * The commands that run the whole system on one machine (`run-local`, `stack`, `mirror`). Their code lives
 * in local/ (the local cloud), which needs the development install (DuckDB, the SQL parser, the local
 * Stripe server): the production CLI names them in --help and loads them only when one is invoked, so
 * `npm ci --omit=dev` gives a CLI whose operator commands work and whose local ones say what they need.
 * The descriptions live here, once: local/cli registers the real commands with them.
 */
export const LOCAL_COMMANDS = {
  'run-local':
    'Run the nightly cycle on the local stack (emulators, local BigQuery/Stripe/subs-api/www) and print a summary.',
  stack:
    'Bring up the whole local stack seeded with N synthetic accounts (emulators, BigQuery with the mirror, Stripe, subs-api, www, the functions behind push subscriptions); print where each listens; Ctrl-C tears it all down.',
  mirror:
    'The synthetic mirror of every store: generate it into a DuckDB file, export it for bq load, print one AccountView, or serve a local BigQuery over it.',
  console:
    'Serve the support console on a local stack kept by `run-local --keep` (its environment exported), behind the local IAP stand-in signed in as the development identity; print its URL.',
} as const;

export type LocalCommandName = keyof typeof LOCAL_COMMANDS;

/** What local/cli/index.ts exports. */
export interface LocalCommandsModule {
  registerLocalCommands(program: Command, out: Out): void;
}

export type LoadLocalCommands = () => Promise<LocalCommandsModule>;

const DEVELOPMENT_INSTALL = 'npm ci (without --omit=dev) in a clone of the repository';

function isLocalCommand(word: string | undefined): word is LocalCommandName {
  return word !== undefined && Object.hasOwn(LOCAL_COMMANDS, word);
}

/** Turns "the local cloud cannot load" into one line that says what to install. */
export function unavailable(command: string, error: unknown): CliError {
  const missing =
    (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_MODULE_NOT_FOUND'
      ? /Cannot find (?:package|module) '([^']+)'/.exec((error as Error).message)?.[1]
      : undefined;
  if (missing === undefined && error !== undefined) return new CliError(String((error as Error).message));
  return new CliError(
    `${command} runs the local cloud, which this install does not have${missing ? ` (${missing} is missing)` : ''}: it needs the development install, ${DEVELOPMENT_INSTALL}.`,
  );
}

/**
 * Registers the local commands: the real ones when the command line invokes one of them (loaded on
 * demand), otherwise placeholders that only describe them, so `--help` and every other command never
 * load the local cloud.
 */
export async function registerLocalCommands(
  program: Command,
  out: Out,
  args: readonly string[],
  load: LoadLocalCommands | undefined,
): Promise<void> {
  const invoked = args.find(isLocalCommand);
  if (invoked !== undefined && load !== undefined) {
    let module: LocalCommandsModule;
    try {
      module = await load();
    } catch (error) {
      throw unavailable(invoked, error);
    }
    module.registerLocalCommands(program, out);
    return;
  }
  for (const [name, description] of Object.entries(LOCAL_COMMANDS)) {
    program
      .command(name)
      .description(`${description} (development install only)`)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw unavailable(name, undefined);
      });
  }
}
