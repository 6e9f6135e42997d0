import { Command, CommanderError } from 'commander';
import { ValidationError } from '../domain/validate.js';
import { registerConfig } from './commands/config.js';
import { registerEvents } from './commands/events.js';
import { registerExplain } from './commands/explain.js';
import { registerGather } from './commands/gather.js';
import { registerPlan } from './commands/plan.js';
import { registerReplay } from './commands/replay.js';
import { registerTickets } from './commands/tickets.js';
import { CliError, type Out } from './io.js';
import { type LoadLocalCommands, registerLocalCommands } from './local-commands.js';

export interface MainOptions {
  /**
   * Loads the local cloud's commands (run-local, stack, mirror) when one is invoked. bin/driftcontrol.mjs
   * passes local/cli; without it those commands say they need a development install.
   */
  readonly loadLocalCommands?: LoadLocalCommands;
}

/**
 * `driftcontrol`: the operators' command line. Each command lives in shared/cli/commands/ and only parses
 * arguments, calls a core and prints; errors become one clear line on stderr and exit code 1.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  let exitCode = 0;
  const program = new Command('driftcontrol')
    .description(
      'Billing drift control: find accounts whose billing drifted from Stripe, and heal them safely.',
    )
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const out: Out = { stdout: (s) => process.stdout.write(s), setExit: (n) => (exitCode = n) };

  try {
    registerPlan(program, out);
    registerGather(program, out);
    registerReplay(program, out);
    registerConfig(program, out);
    registerEvents(program, out);
    registerExplain(program, out);
    registerTickets(program, out);
    await registerLocalCommands(program, out, argv.slice(2), options.loadLocalCommands);
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are "errors" to commander with exit code 0.
      return error.exitCode === 0 ? 0 : 1;
    }
    if (error instanceof ValidationError || error instanceof CliError) {
      process.stderr.write(`driftcontrol: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`driftcontrol: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
