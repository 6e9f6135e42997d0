import { Command, CommanderError } from 'commander';
import { ValidationError } from '../domain/validate.js';
import { buildCli as buildMirrorCli } from '../warehouse/synthetic/cli.js';
import { registerConfig } from './commands/config.js';
import { registerOperate } from './commands/operate.js';
import { registerPlan } from './commands/plan.js';
import { registerRunLocal, registerStack } from './commands/run-local.js';
import { CliError } from './io.js';

/** A command built elsewhere, with the root's error handling (exit override, stderr) on every level. */
function inherit(cmd: Command, root: Command): Command {
  cmd.copyInheritedSettings(root);
  for (const sub of cmd.commands) inherit(sub, root);
  return cmd;
}

/**
 * `driftcontrol`: the operators' command line. Each command lives in shared/cli/commands/ and only parses
 * arguments, calls a core and prints; errors become one clear line on stderr and exit code 1.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('driftcontrol')
    .description(
      'Billing drift control: find accounts whose billing drifted from Stripe, and heal them safely.',
    )
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const out = { stdout: (s: string) => process.stdout.write(s), setExit: (n: number) => (exitCode = n) };
  registerPlan(program, out);
  registerRunLocal(program, out);
  registerStack(program);
  registerOperate(program, out);
  registerConfig(program, out);
  program.addCommand(inherit(buildMirrorCli().name('mirror'), program));

  try {
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
